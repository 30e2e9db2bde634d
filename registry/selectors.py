"""Reads the registry's views and API share, and the resolver for every reference string."""

from dataclasses import dataclass

from django.db.models import OuterRef

from artifacts.access import check_entity, get_entity_for_user, viewer_role_attach, with_viewer_role
from artifacts.errors import NotFound
from artifacts.expressions import SortedNames
from artifacts.models import ArtifactAlias, ArtifactVersion
from artifacts.refs import parse_ref
from artifacts.selectors import artifact_ref_resolve
from artifacts.validation import parse_version_name
from registry.models import ModelVersion, RegisteredModel, RegistryAlias


@dataclass(frozen=True)
class Resolved:
    artifact_version: ArtifactVersion
    model_version: ModelVersion | None = None


# Everything the API's link_out reads, so callers need not fetch the link again.
_LINK_READS = ModelVersion.objects.select_related(
    "registered_model__entity",
    "artifact_version__collection__project__entity",
    "artifact_version__run",
    "linked_by",
)


def registered_model_get(*, user, entity_name: str, name: str, write: bool = False) -> RegisteredModel:
    entity = get_entity_for_user(user, entity_name, write=write)
    model = RegisteredModel.objects.filter(entity=entity, name__ci=name).first()
    if model is None:
        raise NotFound(f"Registered model {entity.name}/model-registry/{name} not found.")
    model.entity = entity  # it knows the caller's role: checks further on need no query
    return model


def model_version_get(*, registered_model: RegisteredModel, selector: str, reads=_LINK_READS) -> ModelVersion:
    """A version by vN or alias; `reads` is what to fetch with it (by default all link_out shows)."""
    versions = reads.filter(registered_model=registered_model)
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


def model_version_find(*, user, entity_name: str, name: str, selector: str) -> ModelVersion:
    """A registered model's version by names, for a user who may read it: one joined query on the hot path.

    When nothing matches, the step-by-step lookup names what is missing, telling outsiders no more
    than that the entity is not found.
    """
    versions = _LINK_READS.filter(registered_model__entity__name__ci=entity_name, registered_model__name__ci=name)
    index = parse_version_name(selector)
    versions = versions.filter(index=index) if index is not None else versions.filter(aliases__name=selector)
    # The caller's role and both alias lists come in the same query (link_out reads them); at most one row
    # matches, so no ORDER BY.
    versions = with_viewer_role(versions, user, "registered_model__entity").annotate(
        alias_names=SortedNames(RegistryAlias.objects.filter(version=OuterRef("pk"))),
        artifact_alias_names=SortedNames(ArtifactAlias.objects.filter(version=OuterRef("artifact_version"))),
    )
    version = next(iter(versions.order_by()[:1]), None)
    if version is None:
        model = registered_model_get(user=user, entity_name=entity_name, name=name)
        return model_version_get(registered_model=model, selector=selector)
    viewer_role_attach(version, version.registered_model.entity)
    check_entity(user, version.registered_model.entity)
    version.artifact_version.alias_names = version.artifact_alias_names
    return version


def ref_resolve(*, user, text: str, entity: str | None = None, project: str | None = None) -> Resolved:
    """Any reference of the design to the artifact version it names, for a user who may read it."""
    ref = parse_ref(text, entity=entity, project=project)
    if ref.in_registry:
        link = model_version_find(user=user, entity_name=ref.entity, name=ref.name, selector=ref.selector)
        return Resolved(artifact_version=link.artifact_version, model_version=link)
    return Resolved(artifact_version=artifact_ref_resolve(user=user, ref=ref))
