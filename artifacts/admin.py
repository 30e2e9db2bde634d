"""Admin pages for the artifacts side; writes with rules still go through services."""

from django.contrib import admin

from artifacts import models


@admin.register(models.Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "user", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["entity", "user", "role", "created_at"]
    list_filter = ["role"]
    raw_id_fields = ["entity", "user"]


@admin.register(models.ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "hashed_key", "created_at", "last_used_at"]
    raw_id_fields = ["user"]


@admin.register(models.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "entity", "created_at"]
    search_fields = ["name", "entity__name"]
    raw_id_fields = ["entity", "created_by"]


@admin.register(models.Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["run_id", "project", "name", "job_type", "state", "created_at"]
    list_filter = ["state"]
    search_fields = ["run_id", "name"]
    raw_id_fields = ["project", "created_by"]


@admin.register(models.Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ["digest", "size", "created_at"]
    search_fields = ["digest"]


@admin.register(models.ArtifactCollection)
class ArtifactCollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "project", "created_at"]
    list_filter = ["type"]
    search_fields = ["name"]
    raw_id_fields = ["project"]


@admin.register(models.ArtifactVersion)
class ArtifactVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "digest", "size", "file_count", "created_at"]
    search_fields = ["digest", "collection__name"]
    raw_id_fields = ["collection", "run", "created_by"]


@admin.register(models.ManifestEntry)
class ManifestEntryAdmin(admin.ModelAdmin):
    list_display = ["path", "version", "digest", "size", "ref"]
    search_fields = ["path", "digest"]
    raw_id_fields = ["version", "blob"]


@admin.register(models.ArtifactAlias)
class ArtifactAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "collection", "version", "updated_at"]
    raw_id_fields = ["collection", "version"]


@admin.register(models.RunInput)
class RunInputAdmin(admin.ModelAdmin):
    list_display = ["run", "version", "created_at"]
    raw_id_fields = ["run", "version"]
