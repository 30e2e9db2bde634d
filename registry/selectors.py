"""Reads the registry's views and API share, and the resolver for every reference string."""

from dataclasses import dataclass

from artifacts.access import get_entity_for_user
from artifacts.errors import NotFound
from artifacts.models import ArtifactVersion
from artifacts.refs import parse_ref
from artifacts.selectors import artifact_ref_resolve
from artifacts.validation import parse_version_name
from registry.models import ModelVersion, RegisteredModel


@dataclass(frozen=True)
class Resolved:
    artifact_version: ArtifactVersion
    model_version: ModelVersion | None = None


def registered_model_get(*, user, entity_name: str, name: str, write: bool = False) -> RegisteredModel:
    entity = get_entity_for_user(user, entity_name, write=write)
    model = RegisteredModel.objects.select_related("entity").filter(entity=entity, name__iexact=name).first()
    if model is None:
        raise NotFound(f"Registered model {entity.name}/model-registry/{name} not found.")
    return model


def model_version_get(*, registered_model: RegisteredModel, selector: str) -> ModelVersion:
    # Everything the API's link_out reads, so callers need not fetch the link again.
    versions = ModelVersion.objects.select_related(
        "registered_model__entity",
        "artifact_version__collection__project__entity",
        "artifact_version__run",
        "linked_by",
    ).filter(registered_model=registered_model)
    index = parse_version_name(selector)
    if index is not None:
        version = versions.filter(index=index).first()
        if version is None:
            raise NotFound(f"{registered_model.name} has no version {selector}.")
        return version
    version = versions.filter(aliases__name=selector).first()
    if version is None:
        raise NotFound(f"{registered_model.name} has no version with the alias {selector!r}.")
    return version


def ref_resolve(*, user, text: str, entity: str | None = None, project: str | None = None) -> Resolved:
    """Any reference of the design to the artifact version it names, for a user who may read it."""
    ref = parse_ref(text, entity=entity, project=project)
    if ref.in_registry:
        model = registered_model_get(user=user, entity_name=ref.entity, name=ref.name)
        link = model_version_get(registered_model=model, selector=ref.selector)
        return Resolved(artifact_version=link.artifact_version, model_version=link)
    return Resolved(artifact_version=artifact_ref_resolve(user=user, ref=ref))
