"""URLs: the JSON API under /api/v1/, the admin, then each app's pages (most specific first)."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path

from registry_site.api import api


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
