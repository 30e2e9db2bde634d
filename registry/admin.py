"""Admin pages for the registry; the event log is read-only (it is append-only by design)."""

from django.contrib import admin

from registry import models


@admin.register(models.RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    list_display = ["name", "entity", "created_at", "updated_at"]
    search_fields = ["name", "entity__name"]
    raw_id_fields = ["entity", "created_by"]


@admin.register(models.Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "registered_model"]
    raw_id_fields = ["registered_model"]


@admin.register(models.ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "artifact_version", "linked_by", "created_at"]
    raw_id_fields = ["registered_model", "artifact_version", "linked_by"]


@admin.register(models.RegistryAlias)
class RegistryAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "registered_model", "version", "updated_at"]
    raw_id_fields = ["registered_model", "version"]


@admin.register(models.RegistryEvent)
class RegistryEventAdmin(admin.ModelAdmin):
    list_display = ["kind", "registered_model", "alias", "from_version", "to_version", "actor", "created_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.ModelCardRevision)
class ModelCardRevisionAdmin(admin.ModelAdmin):
    list_display = ["registered_model", "number", "author", "created_at"]
    raw_id_fields = ["registered_model", "author"]
