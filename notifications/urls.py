"""URLs of the integration pages and the development receiver."""

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("dev/webhooks/", views.dev_webhooks, name="dev_webhooks"),
    path("<str:entity_name>/integrations/", views.integration_list, name="integration_list"),
    path("<str:entity_name>/integrations/<int:pk>/", views.integration_detail, name="integration_detail"),
    path("<str:entity_name>/integrations/<int:pk>/edit/", views.integration_edit, name="integration_edit"),
    path("<str:entity_name>/integrations/<int:pk>/enabled/", views.integration_enabled, name="integration_enabled"),
    path("<str:entity_name>/integrations/<int:pk>/delete/", views.integration_delete, name="integration_delete"),
    path("<str:entity_name>/integrations/<int:pk>/test/", views.integration_test, name="integration_test"),
]
