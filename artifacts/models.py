"""Entities, membership, API keys, projects, runs, artifacts, blobs, aliases and lineage."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Entity(models.Model):
    """A user's own namespace or a team: owns projects and a model registry."""

    USER = "user"
    TEAM = "team"
    KIND_CHOICES = [(USER, "User"), (TEAM, "Team")]

    name = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="own_entity",
        help_text="Set for a user's own entity.",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="entity_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"
    ROLE_CHOICES = [(ADMIN, "Admin"), (MEMBER, "Member"), (VIEWER, "Viewer")]
    WRITE_ROLES = (ADMIN, MEMBER)

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=ROLE_CHOICES, default=MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.entity} ({self.role})"


class ApiKey(models.Model):
    """A per-user secret for the HTTP API. Only a hash and a short prefix are stored."""

    PREFIX_LEN = 12

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=PREFIX_LEN, db_index=True)
    hashed_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Project(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["entity", "name"], name="project_unique")]

    def __str__(self) -> str:
        return f"{self.entity.name}/{self.name}"


def new_run_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Run(models.Model):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CRASHED = "crashed"
    STATE_CHOICES = [(RUNNING, "Running"), (FINISHED, "Finished"), (FAILED, "Failed"), (CRASHED, "Crashed")]

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField(max_length=32, default=new_run_id)
    name = models.CharField(max_length=128, blank=True)
    job_type = models.CharField(max_length=64, blank=True)
    config = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=RUNNING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["project", "run_id"], name="run_unique")]

    def __str__(self) -> str:
        return f"{self.project}/runs/{self.run_id}"


class Blob(models.Model):
    """Content-addressed bytes; the file lives in the blob store under a path from its digest."""

    digest = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.digest


class ArtifactCollection(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=128)
    type = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="collection_unique")]

    def __str__(self) -> str:
        return f"{self.project}/{self.name}"


class ArtifactVersion(models.Model):
    collection = models.ForeignKey(ArtifactCollection, on_delete=models.CASCADE, related_name="versions")
    index = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    metadata = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    size = models.BigIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0)
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="logged_versions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["collection", "-index"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "index"], name="version_index_unique"),
            models.UniqueConstraint(fields=["collection", "digest"], name="version_digest_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.collection}:{self.version_name}"

    @property
    def version_name(self) -> str:
        return f"v{self.index}"

    @property
    def qualified_name(self) -> str:
        """`name:vN` as users write it inside a project."""
        return f"{self.collection.name}:{self.version_name}"


class ManifestEntry(models.Model):
    """One file of a version: a blob (digest, size) or a reference URI, recorded not uploaded."""

    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="entries")
    path = models.CharField(max_length=1024)
    blob = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ref = models.CharField(max_length=2048, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["version", "path"]
        verbose_name_plural = "manifest entries"
        constraints = [models.UniqueConstraint(fields=["version", "path"], name="manifest_path_unique")]

    def __str__(self) -> str:
        return self.path

    @property
    def is_reference(self) -> bool:
        return bool(self.ref)


class ArtifactAlias(models.Model):
    collection = models.ForeignKey(ArtifactCollection, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=128)
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="aliases")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "artifact aliases"
        constraints = [models.UniqueConstraint(fields=["collection", "name"], name="artifact_alias_unique")]

    def __str__(self) -> str:
        return f"{self.collection}:{self.name}"


class RunInput(models.Model):
    """Lineage: a run used an artifact version."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="inputs")
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="used_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "version"], name="run_input_unique")]

    def __str__(self) -> str:
        return f"{self.run} used {self.version}"


class BlobHolder(models.Model):
    """A user proved they have a blob's bytes by uploading them, so they may name it in a manifest.

    Blobs are shared across teams; without this, knowing a digest would be enough to read
    another team's file by committing a manifest that names it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    blob = models.ForeignKey(Blob, on_delete=models.CASCADE, related_name="holders")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "blob"], name="blob_holder_unique")]

    def __str__(self) -> str:
        return f"{self.user} holds {self.blob_id}"
