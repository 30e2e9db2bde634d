"""Registered models, their versions (links), aliases, tags, model cards and the event log."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from artifacts.models import ArtifactVersion, Entity


class RegisteredModel(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="registered_models")
    name = models.CharField(max_length=128)
    description = models.CharField(max_length=500, blank=True)
    card = models.TextField(blank=True, help_text="The model card, in markdown.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("entity", Lower("name"), name="registered_model_name_unique_ci")]

    def __str__(self) -> str:
        return f"{self.entity.name}/model-registry/{self.name}"


class Tag(models.Model):
    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["registered_model", "name"], name="tag_unique")]

    def __str__(self) -> str:
        return self.name


class ModelVersion(models.Model):
    """A link: a registered model's version, pointing at one artifact version."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    index = models.PositiveIntegerField()
    artifact_version = models.ForeignKey(ArtifactVersion, on_delete=models.PROTECT, related_name="links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["registered_model", "-index"]
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "index"], name="model_version_index_unique"),
            models.UniqueConstraint(fields=["registered_model", "artifact_version"], name="model_version_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.registered_model.name}:{self.version_name}"

    @property
    def version_name(self) -> str:
        return f"v{self.index}"


class RegistryAlias(models.Model):
    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=128)
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="aliases")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "registry aliases"
        constraints = [models.UniqueConstraint(fields=["registered_model", "name"], name="registry_alias_unique")]

    def __str__(self) -> str:
        return f"{self.registered_model.name}:{self.name}"


class RegistryEvent(models.Model):
    """Append-only: the alias history, the activity feed and the audit trail at once."""

    MODEL_CREATED = "model.created"
    VERSION_LINKED = "version.linked"
    ALIAS_MOVED = "alias.moved"
    ALIAS_REMOVED = "alias.removed"
    CARD_SAVED = "card.saved"
    TAGS_CHANGED = "tags.changed"
    KIND_CHOICES = [
        (MODEL_CREATED, "Registered model created"),
        (VERSION_LINKED, "Version linked"),
        (ALIAS_MOVED, "Alias set or moved"),
        (ALIAS_REMOVED, "Alias removed"),
        (CARD_SAVED, "Model card saved"),
        (TAGS_CHANGED, "Tags changed"),
    ]

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    alias = models.CharField(max_length=128, blank=True)
    from_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["registered_model", "-id"], name="event_model_recent"),
            models.Index(fields=["registered_model", "alias", "id"], name="event_alias_history"),
            # The home page's feed: the newest events, read in index order and stopped after a page.
            models.Index(fields=["-created_at", "-id"], name="event_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.registered_model.name}"


class ModelCardRevision(models.Model):
    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="card_revisions")
    number = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["registered_model", "-number"]
        constraints = [models.UniqueConstraint(fields=["registered_model", "number"], name="card_revision_unique")]

    def __str__(self) -> str:
        return f"{self.registered_model.name} card r{self.number}"
