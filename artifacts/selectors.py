"""Reads that several views and the API share."""

import functools

from django.contrib.auth import get_user_model
from django.db import connection

from artifacts.access import caller_id, check_entity, get_project_for_user, role_sql
from artifacts.errors import NotFound
from artifacts.expressions import JoinedRows, index_in_range, names_from_db, sorted_names_sql
from artifacts.models import ArtifactCollection, ArtifactVersion, Entity, Project, Run
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


def artifact_aliases_sql(version: str) -> str:
    """SQL of the aliases of the artifact version of table alias `version`, as a list (see names_from_db)."""
    return sorted_names_sql(
        f"SELECT a.name FROM artifacts_artifactalias a WHERE a.version_id = {version}.id ORDER BY a.name",
        connection.vendor,
    )


@functools.cache
def _version_rows(by_alias: bool) -> JoinedRows:
    """A version by its names and index or alias, with its collection, project, entity, run and creator, the
    caller's role and the version's aliases. Parameters: user id, entity, project, artifact, index or alias."""
    user = get_user_model()
    if by_alias:
        selector = (
            "av.id = (SELECT a.version_id FROM artifacts_artifactalias a WHERE a.collection_id = c.id AND a.name = %s)"
        )
    else:
        selector = 'av."index" = %s'
    return JoinedRows(
        {"av": ArtifactVersion, "c": ArtifactCollection, "p": Project, "e": Entity, "r": Run, "u": user},
        f"""FROM artifacts_entity e
        JOIN artifacts_project p ON p.entity_id = e.id
        JOIN artifacts_artifactcollection c ON c.project_id = p.id
        JOIN artifacts_artifactversion av ON av.collection_id = c.id
        LEFT JOIN artifacts_run r ON r.id = av.run_id
        LEFT JOIN {user._meta.db_table} u ON u.{user._meta.pk.column} = av.created_by_id
        WHERE LOWER(e.name) = LOWER(%s) AND p.name = %s AND c.name = %s AND {selector}""",
        extra={
            "role": role_sql("e"),
            "aliases": artifact_aliases_sql("av"),
        },
    )


def version_find(*, user, entity: str, project: str, name: str, selector: str, write: bool = False) -> ArtifactVersion:
    """A version by its names, for a user who may read it: one query on the hot path.

    Every download and every resolved reference starts here, so the query is written by hand (see
    JoinedRows); tests/artifacts/test_versions.py checks it builds what the ORM builds. When nothing
    matches, the step-by-step lookup names what is missing (entity, project, artifact, version or alias),
    telling outsiders no more than that the entity is not found.
    """
    index = parse_version_name(selector)
    lookup = _version_rows(by_alias=index is None)
    params = [caller_id(user), entity, project, name, selector if index is None else index]
    # An index the column cannot hold matches nothing (SQLite would refuse it with an error).
    found = lookup.first(params) if index is None or index_in_range(index) else None
    if found is None:
        collection = collection_get(project=get_project_for_user(user, entity, project, write=write), name=name)
        return version_get(collection=collection, selector=selector)
    rows, extra = found
    version, ent = rows["av"], rows["e"]
    ent.viewer_role = extra["role"]
    check_entity(user, ent, write=write)
    version.collection, version.run, version.created_by = rows["c"], rows["r"], rows["u"]
    version.collection.project = rows["p"]
    version.collection.project.entity = ent
    version.alias_names = names_from_db(extra["aliases"])
    return version


def artifact_ref_resolve(*, user, ref: Ref) -> ArtifactVersion:
    """An artifact reference (not the model registry's) to the version the user may read."""
    return version_find(user=user, entity=ref.entity, project=ref.project, name=ref.name, selector=ref.selector)
