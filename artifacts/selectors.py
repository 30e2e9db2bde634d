"""Reads that several views and the API share."""

from artifacts.access import get_project_for_user
from artifacts.errors import NotFound
from artifacts.models import ArtifactCollection, ArtifactVersion, Project
from artifacts.refs import Ref


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


def artifact_ref_resolve(*, user, ref: Ref) -> ArtifactVersion:
    """An artifact reference (not the model registry's) to the version the user may read."""
    project = get_project_for_user(user, ref.entity, ref.project)
    collection = collection_get(project=project, name=ref.name)
    return version_get(collection=collection, selector=ref.selector)
