"""Reads the registry's views and API share, and the resolver for every reference string."""

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection

from artifacts.access import caller_id, check_entity, get_entity_for_user, role_sql
from artifacts.errors import NotFound
from artifacts.expressions import JoinedRows, index_in_range, names_from_db, sorted_names_sql
from artifacts.models import ArtifactCollection, ArtifactVersion, Entity, Project, Run
from artifacts.refs import parse_ref
from artifacts.selectors import artifact_aliases_sql, artifact_ref_resolve
from artifacts.validation import parse_version_name
from registry.models import ModelVersion, RegisteredModel


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


@functools.cache
def _link_rows(by_alias: bool) -> JoinedRows:
    """A registered model's version by index or alias, with what link_out reads, the caller's role and both
    alias lists. Parameters: user id, entity name, model name, index or alias."""
    vendor = connection.vendor
    user = get_user_model()
    if by_alias:
        version = """JOIN registry_registryalias ra ON ra.registered_model_id = rm.id
        JOIN registry_modelversion mv ON mv.id = ra.version_id"""
        selector = "ra.name = %s"
    else:
        version = "JOIN registry_modelversion mv ON mv.registered_model_id = rm.id"
        selector = 'mv."index" = %s'
    return JoinedRows(
        {
            "mv": ModelVersion,
            "rm": RegisteredModel,
            "e": Entity,
            "av": ArtifactVersion,
            "c": ArtifactCollection,
            "p": Project,
            "pe": Entity,
            "r": Run,
            "u": user,
        },
        f"""FROM registry_registeredmodel rm
        JOIN artifacts_entity e ON e.id = rm.entity_id
        {version}
        JOIN artifacts_artifactversion av ON av.id = mv.artifact_version_id
        JOIN artifacts_artifactcollection c ON c.id = av.collection_id
        JOIN artifacts_project p ON p.id = c.project_id
        JOIN artifacts_entity pe ON pe.id = p.entity_id
        LEFT JOIN artifacts_run r ON r.id = av.run_id
        LEFT JOIN {user._meta.db_table} u ON u.{user._meta.pk.column} = mv.linked_by_id
        WHERE LOWER(e.name) = LOWER(%s) AND LOWER(rm.name) = LOWER(%s) AND {selector}""",
        extra={
            "role": role_sql("e"),
            "aliases": sorted_names_sql(
                "SELECT a.name FROM registry_registryalias a WHERE a.version_id = mv.id ORDER BY a.name", vendor
            ),
            "artifact_aliases": artifact_aliases_sql("av"),
        },
    )


def model_version_find(*, user, entity_name: str, name: str, selector: str) -> ModelVersion:
    """A registered model's version by names, for a user who may read it: one query on the hot path.

    Every `get by alias` and every download through the model registry starts here, so the query is
    written by hand (see JoinedRows); tests/registry/test_link.py checks it builds what the ORM builds.
    When nothing matches, the step-by-step lookup names what is missing, telling outsiders no more
    than that the entity is not found.
    """
    index = parse_version_name(selector)
    # The role's parameter comes first: the extra columns follow the fields in the SELECT list.
    lookup = _link_rows(by_alias=index is None)
    params = [caller_id(user), entity_name, name, selector if index is None else index]
    # An index the column cannot hold matches nothing (SQLite would refuse it with an error).
    found = lookup.first(params) if index is None or index_in_range(index) else None
    if found is None:
        model = registered_model_get(user=user, entity_name=entity_name, name=name)
        return model_version_get(registered_model=model, selector=selector)
    rows, extra = found
    version, model, entity = rows["mv"], rows["rm"], rows["e"]
    entity.viewer_role = extra["role"]
    check_entity(user, entity)
    model.entity = entity
    version.registered_model, version.linked_by = model, rows["u"]
    artifact = version.artifact_version = rows["av"]
    artifact.collection, artifact.run = rows["c"], rows["r"]
    artifact.collection.project = rows["p"]
    artifact.collection.project.entity = rows["pe"]
    version.alias_names = names_from_db(extra["aliases"])
    artifact.alias_names = names_from_db(extra["artifact_aliases"])
    return version


def ref_resolve(*, user, text: str, entity: str | None = None, project: str | None = None) -> Resolved:
    """Any reference of the design to the artifact version it names, for a user who may read it."""
    ref = parse_ref(text, entity=entity, project=project)
    if ref.in_registry:
        link = model_version_find(user=user, entity_name=ref.entity, name=ref.name, selector=ref.selector)
        return Resolved(artifact_version=link.artifact_version, model_version=link)
    return Resolved(artifact_version=artifact_ref_resolve(user=user, ref=ref))
