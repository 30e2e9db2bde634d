"""Name, path, alias and metadata rules of the design, each with its own message."""

import json
import re
from typing import Any

from django.conf import settings

from artifacts.errors import InvalidInput

ENTITY_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
ARTIFACT_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,128}")
ALIAS_RE = re.compile(r"[A-Za-z0-9_.-]{1,128}")
VERSION_NAME_RE = re.compile(r"v(\d+)")
TYPE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
TAG_RE = re.compile(r"[^\s,/:][^,/:]{0,63}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
DIGEST_LEN = 64

LATEST = "latest"
# A project name users may not take: references to it mean the entity's model registry.
MODEL_REGISTRY = "model-registry"
# Names the site's own URLs take at the top level (entities) and under an entity (projects).
RESERVED_ENTITY_NAMES = frozenset(
    {"api", "dev", "login", "logout", "profile", "static", "media", "favicon.ico", "robots.txt"}
)
# A URL path segment of "." or ".." is removed by browsers before the request is sent.
DOT_NAMES = frozenset({".", ".."})
RESERVED_PROJECT_NAMES = frozenset({MODEL_REGISTRY, "settings", "integrations"})
REFERENCE_SCHEMES = ("s3://", "gs://", "az://", "https://", "http://", "file://", "hdfs://")


def _check_short_name(name: str, kind: str, field: str) -> str:
    """Entity and project names share one rule."""
    if not isinstance(name, str) or not ENTITY_NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"Invalid {kind} name {name!r}: use 1 to 64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit.",
            field=field,
        )
    return name


def validate_entity_name(name: str) -> str:
    _check_short_name(name, "entity", "entity")
    if name.lower() in RESERVED_ENTITY_NAMES:
        raise InvalidInput(f"The name {name!r} is reserved by the site; choose another.", field="entity")
    return name


def validate_project_name(name: str) -> str:
    _check_short_name(name, "project", "project")
    if name.lower() == MODEL_REGISTRY:
        raise InvalidInput(f"The project name {MODEL_REGISTRY!r} is reserved for the model registry.", field="project")
    if name.lower() in RESERVED_PROJECT_NAMES:
        raise InvalidInput(f"The project name {name!r} is reserved by the site; choose another.", field="project")
    return name


def validate_artifact_name(name: str) -> str:
    if not isinstance(name, str) or not ARTIFACT_NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"Invalid artifact name {name!r}: use 1 to 128 letters, digits, '_', '-' or '.' (no '/' or ':').",
            field="name",
        )
    _refuse_dots(name, "an artifact name", "name")
    return name


def _refuse_dots(name: str, what: str, field: str) -> None:
    if name in DOT_NAMES:
        raise InvalidInput(f"{name!r} cannot be {what}: it would vanish from the page's address.", field=field)


def validate_artifact_type(type_: str) -> str:
    if not isinstance(type_, str) or not TYPE_RE.fullmatch(type_):
        raise InvalidInput(
            f"Invalid artifact type {type_!r}: use 1 to 64 letters, digits, '_', '-' or '.'.", field="type"
        )
    return type_


def validate_registered_model_name(name: str) -> str:
    if not isinstance(name, str):
        raise InvalidInput("The registered model name must be a string.", field="name")
    stripped = name.strip()
    if not stripped:
        raise InvalidInput("The registered model name must not be empty.", field="name")
    if len(stripped) > 128:
        raise InvalidInput("The registered model name is longer than 128 characters.", field="name")
    if "/" in stripped or ":" in stripped:
        raise InvalidInput(f"Invalid registered model name {name!r}: it may not contain '/' or ':'.", field="name")
    if any(ord(c) < 32 or ord(c) == 127 for c in stripped):
        raise InvalidInput("The registered model name may not contain control characters.", field="name")
    _refuse_dots(stripped, "a registered model name", "name")
    return stripped


def validate_alias(name: str) -> str:
    """An alias a user may set by hand: not `latest`, not a version name."""
    if not isinstance(name, str) or not ALIAS_RE.fullmatch(name):
        raise InvalidInput(f"Invalid alias {name!r}: use 1 to 128 letters, digits, '_', '-' or '.'.", field="alias")
    if name.lower() == LATEST:
        raise InvalidInput(
            "The alias 'latest' is kept by the server and cannot be set or removed by hand.", field="alias"
        )
    if VERSION_NAME_RE.fullmatch(name):
        raise InvalidInput(f"{name!r} is a version name, not an alias.", field="alias")
    _refuse_dots(name, "an alias", "alias")
    return name


def validate_aliases(names: list[str] | None) -> list[str]:
    if names is None:
        return []
    if not isinstance(names, list | tuple):
        raise InvalidInput("Aliases must be a list of names.", field="aliases")
    seen: list[str] = []
    for name in names:
        validate_alias(name)
        if name not in seen:
            seen.append(name)
    return seen


def validate_tag(name: str) -> str:
    if not isinstance(name, str) or not TAG_RE.fullmatch(name.strip()):
        raise InvalidInput(
            f"Invalid tag {name!r}: 1 to 64 characters, no ',', '/' or ':', not starting with a space.",
            field="tags",
        )
    _refuse_dots(name.strip(), "a tag", "tags")
    return name.strip()


def validate_digest(digest: str) -> str:
    if not isinstance(digest, str) or not SHA256_RE.fullmatch(digest):
        raise InvalidInput(f"Invalid sha256 digest {digest!r}: expected 64 lowercase hex characters.", field="digest")
    return digest


def normalize_path(path: str) -> str:
    """A relative POSIX path inside a version; refuses anything that could escape or be ambiguous."""
    if not isinstance(path, str) or path == "":
        raise InvalidInput("A file path must be a non-empty string.", field="path")
    if "\x00" in path:
        raise InvalidInput(f"Invalid path {path!r}: it contains a NUL character.", field="path")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise InvalidInput(f"Invalid path {path!r}: it contains a control character.", field="path")
    if "\\" in path:
        raise InvalidInput(f"Invalid path {path!r}: use '/' as the separator, not '\\'.", field="path")
    if path.startswith("/"):
        raise InvalidInput(f"Invalid path {path!r}: it must be relative, not absolute.", field="path")
    if len(path) > 1024:
        raise InvalidInput("Invalid path: longer than 1024 characters.", field="path")
    parts = path.split("/")
    for part in parts:
        if part == "..":
            raise InvalidInput(f"Invalid path {path!r}: '..' would escape the artifact's root.", field="path")
        if part in ("", "."):
            raise InvalidInput(f"Invalid path {path!r}: it has an empty or '.' segment.", field="path")
    return path


def validate_reference_uri(uri: str) -> str:
    if not isinstance(uri, str) or not uri.startswith(REFERENCE_SCHEMES) or len(uri) > 2048:
        raise InvalidInput(
            f"Invalid reference {uri!r}: expected a URI starting with one of {', '.join(REFERENCE_SCHEMES)}.",
            field="ref",
        )
    if any(ord(c) < 32 for c in uri):
        raise InvalidInput("Invalid reference: it contains control characters.", field="ref")
    return uri


def validate_metadata(metadata: Any, *, field: str = "metadata") -> dict:
    """A JSON object within the size limit (metadata of a version, config of a run)."""
    label = field.capitalize()
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidInput(f"{label} must be a JSON object.", field=field)
    try:
        encoded = json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{label} is not valid JSON: {exc}.", field=field) from exc
    limit = settings.REGISTRY_MAX_METADATA_BYTES
    if len(encoded.encode()) > limit:
        raise InvalidInput(f"{label} is larger than the limit of {limit} bytes.", field=field)
    return metadata


def parse_version_name(name: str) -> int | None:
    match = VERSION_NAME_RE.fullmatch(name)
    return int(match.group(1)) if match else None
