"""Django admin for integrations and deliveries (read-mostly: writes go through the pages and services)."""

from django.contrib import admin

from notifications.models import Delivery, Integration, ReceivedWebhook


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "entity", "kind", "registered_model", "enabled", "last_error_at"]
    list_filter = ["kind", "enabled"]
    exclude = ["url", "signing_secret"]
    readonly_fields = ["masked_url"]

    @admin.display(description="URL")
    def masked_url(self, obj: Integration) -> str:
        return obj.url_masked


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "integration", "kind", "state", "attempts", "last_status", "created_at"]
    list_filter = ["state", "kind"]
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(ReceivedWebhook)
class ReceivedWebhookAdmin(admin.ModelAdmin):
    list_display = ["id", "received_at"]
