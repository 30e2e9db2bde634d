"""URLs: the JSON API under /api/v1/, the admin, then each app's pages (most specific first)."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from registry_site.api import api


@csrf_exempt  # it changes nothing: a write to an unknown address gets this 404, not the CSRF page in HTML
def api_not_found(request, rest: str):
    return JsonResponse({"detail": f"No API endpoint at /api/v1/{rest}."}, status=404)


urlpatterns = [
    path("-/admin/", admin.site.urls),  # "-" cannot start an entity name, so no team hides it
    path("api/v1/", api.urls),
    re_path(r"^api/(?:v1/)?(?P<rest>.*)$", api_not_found),
    path("", include("notifications.urls")),
    path("", include("registry.urls")),
    path("", include("artifacts.urls")),
]
