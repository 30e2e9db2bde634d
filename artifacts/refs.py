"""Parsing of the reference strings users type: `entity/project/name:alias|vN`, `name:alias`."""

from dataclasses import dataclass

from artifacts.errors import InvalidInput
from artifacts.validation import (
    ALIAS_RE,
    LATEST,
    MODEL_REGISTRY,
    parse_version_name,
    validate_artifact_name,
    validate_entity_name,
    validate_project_name,
    validate_registered_model_name,
)


@dataclass(frozen=True)
class Ref:
    entity: str
    project: str
    name: str
    selector: str = LATEST  # an alias or a version name `vN`

    @property
    def in_registry(self) -> bool:
        return self.project.lower() == MODEL_REGISTRY

    @property
    def version_index(self) -> int | None:
        return parse_version_name(self.selector)

    def __str__(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}:{self.selector}"


def parse_ref(text: str, *, entity: str | None = None, project: str | None = None) -> Ref:
    """Parse a reference; `entity` and `project` fill in the short forms used inside a run."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("The reference is empty: expected 'entity/project/name:alias' or 'name:alias'.", field="ref")
    text = text.strip()
    if text.count(":") > 1:
        raise InvalidInput(f"Malformed reference {text!r}: more than one ':'.", field="ref")
    path, _, selector = text.partition(":")
    if _ and not selector:
        raise InvalidInput(f"Malformed reference {text!r}: nothing after ':'.", field="ref")
    selector = selector or LATEST
    if not ALIAS_RE.fullmatch(selector):
        raise InvalidInput(f"Malformed reference {text!r}: {selector!r} is not an alias or a version.", field="ref")
    parts = path.split("/")
    if len(parts) == 3:
        ref_entity, ref_project, name = parts
    elif len(parts) == 2 and entity:
        ref_entity, (ref_project, name) = entity, parts
    elif len(parts) == 1 and entity and project:
        ref_entity, ref_project, name = entity, project, parts[0]
    else:
        raise InvalidInput(
            f"Malformed reference {text!r}: expected 'entity/project/name:alias' (or 'name:alias' inside a run).",
            field="ref",
        )
    validate_entity_name(ref_entity)
    if ref_project.lower() == MODEL_REGISTRY:
        name = validate_registered_model_name(name)
        ref_project = MODEL_REGISTRY
    else:
        validate_project_name(ref_project)
        validate_artifact_name(name)
    return Ref(entity=ref_entity, project=ref_project, name=name, selector=selector)


def parse_registry_path(text: str) -> tuple[str, str]:
    """`entity/model-registry/Name` (no selector) → (entity, name)."""
    if not isinstance(text, str):
        raise InvalidInput("The registry path must be a string.", field="target")
    parts = text.strip().split("/")
    if len(parts) != 3 or parts[1].lower() != MODEL_REGISTRY or ":" in text:
        raise InvalidInput(
            f"Malformed registry path {text!r}: expected 'entity/{MODEL_REGISTRY}/Registered Model Name'.",
            field="target",
        )
    return validate_entity_name(parts[0]), validate_registered_model_name(parts[2])
