"""URLs: the JSON API under /api/v1/, the admin, then each app's pages (most specific first)."""

from django.contrib import admin
from django.urls import include, path

from registry_site.api import api

urlpatterns = [
    path("-/admin/", admin.site.urls),  # "-" cannot start an entity name, so no team hides it
    path("api/v1/", api.urls),
    path("", include("notifications.urls")),
    path("", include("registry.urls")),
    path("", include("artifacts.urls")),
]
