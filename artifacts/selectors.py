"""Reads that several views and the API share."""

from django.db.models import OuterRef

from artifacts.access import check_entity, get_project_for_user, viewer_role_attach, with_viewer_role
from artifacts.errors import NotFound
from artifacts.expressions import SortedNames
from artifacts.models import ArtifactAlias, ArtifactCollection, ArtifactVersion, Project
from artifacts.refs import Ref
from artifacts.validation import parse_version_name


def collection_get(*, project: Project, name: str) -> ArtifactCollection:
    collection = ArtifactCollection.objects.select_related("project__entity").filter(project=project, name=name).first()
    if collection is None:
        raise NotFound(f"Artifact {project}/{name} not found.")
    return collection


def version_get(*, collection: ArtifactCollection, selector: str) -> ArtifactVersion:
    """A version of a collection by `vN` or by alias."""
    versions = ArtifactVersion.objects.select_related("collection__project__entity", "run")
    if selector.startswith("v") and selector[1:].isdigit():
        version = versions.filter(collection=collection, index=int(selector[1:])).first()
        if version is None:
            raise NotFound(f"Artifact {collection}:{selector} not found: there is no version {selector}.")
        return version
    version = versions.filter(collection=collection, aliases__name=selector).first()
    if version is None:
        raise NotFound(f"Artifact {collection}:{selector} not found: no version has the alias {selector!r}.")
    return version


def version_find(*, user, entity: str, project: str, name: str, selector: str, write: bool = False) -> ArtifactVersion:
    """A version by its names, for a user who may read it: one joined query on the hot path.

    When nothing matches, the step-by-step lookup names what is missing (entity, project,
    artifact, version or alias), telling outsiders no more than that the entity is not found.
    """
    versions = ArtifactVersion.objects.select_related("collection__project__entity", "run", "created_by").filter(
        collection__project__entity__name__ci=entity,
        collection__project__name=project,
        collection__name=name,
    )
    index = parse_version_name(selector)
    versions = versions.filter(index=index) if index is not None else versions.filter(aliases__name=selector)
    # The caller's role and the version's aliases come in the same query; at most one row matches.
    versions = with_viewer_role(versions, user, "collection__project__entity").annotate(
        alias_names=SortedNames(ArtifactAlias.objects.filter(version=OuterRef("pk")))
    )
    version = next(iter(versions.order_by()[:1]), None)
    if version is None:
        collection = collection_get(project=get_project_for_user(user, entity, project, write=write), name=name)
        return version_get(collection=collection, selector=selector)
    viewer_role_attach(version, version.collection.project.entity)
    check_entity(user, version.collection.project.entity, write=write)
    return version


def artifact_ref_resolve(*, user, ref: Ref) -> ArtifactVersion:
    """An artifact reference (not the model registry's) to the version the user may read."""
    return version_find(user=user, entity=ref.entity, project=ref.project, name=ref.name, selector=ref.selector)
