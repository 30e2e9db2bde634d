"""Python client for the model registry: log, use and link artifacts from training scripts and CI jobs."""

from registry_client.artifact import Artifact, LoggedArtifact
from registry_client.errors import (
    ChecksumMismatch,
    Conflict,
    InvalidInput,
    NetworkError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RegistryError,
    ServerError,
)
from registry_client.registry import Api, Link, RegisteredModel
from registry_client.run import Run, init, sync

__all__ = [
    "Api",
    "Artifact",
    "ChecksumMismatch",
    "Conflict",
    "InvalidInput",
    "Link",
    "LoggedArtifact",
    "NetworkError",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "RegisteredModel",
    "RegistryError",
    "Run",
    "ServerError",
    "init",
    "sync",
]
