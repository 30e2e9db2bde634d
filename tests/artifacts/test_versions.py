"""Logging artifact versions: content versioning, dedup, aliases, types, lineage."""

import pytest

from artifacts.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from artifacts.models import ArtifactAlias, ArtifactCollection, ArtifactVersion, ManifestEntry, RunInput
from artifacts.services import (
    artifact_alias_remove,
    artifact_alias_set,
    artifact_version_log,
    run_create,
    run_finish,
    run_use_version,
)

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def aliases_of(version):
    return sorted(version.aliases.values_list("name", flat=True))


def test_changed_content_makes_a_new_version_and_latest_follows_it(log_model):
    v0 = log_model(b"epoch-1")
    v1 = log_model(b"epoch-2")
    assert (v0.index, v1.index) == (0, 1)
    assert aliases_of(v0) == []
    assert aliases_of(v1) == ["latest"]


def test_same_files_under_the_same_paths_reuse_the_version(project, member, put_blob):
    entries = [put_blob(b"a", "a.bin"), put_blob(b"b", "dir/b.bin")]
    first, created = artifact_version_log(project=project, name="ds", type="dataset", entries=entries, user=member)
    again, created_again = artifact_version_log(
        project=project, name="ds", type="dataset", entries=list(reversed(entries)), user=member
    )
    assert created and not created_again
    assert first.pk == again.pk
    assert ArtifactVersion.objects.filter(collection=first.collection).count() == 1


def test_same_bytes_under_another_path_make_a_new_version(project, member, put_blob):
    a, _ = artifact_version_log(
        project=project, name="ds", type="dataset", entries=[put_blob(b"x", "a.bin")], user=member
    )
    b, _ = artifact_version_log(
        project=project, name="ds", type="dataset", entries=[put_blob(b"x", "b.bin")], user=member
    )
    assert a.pk != b.pk and (a.index, b.index) == (0, 1)


def test_a_reference_and_a_blob_with_the_same_path_differ(project, member, put_blob):
    blob_entry = put_blob(b"x", "data.csv")
    ref_entry = {"path": "data.csv", "ref": "s3://bucket/data.csv", "digest": blob_entry["digest"], "size": 1}
    a, _ = artifact_version_log(project=project, name="ds", type="dataset", entries=[blob_entry], user=member)
    b, _ = artifact_version_log(project=project, name="ds", type="dataset", entries=[ref_entry], user=member)
    assert a.digest != b.digest
    entry = ManifestEntry.objects.get(version=b)
    assert entry.ref == "s3://bucket/data.csv" and entry.blob_id is None


def test_relogging_identical_content_applies_the_new_aliases_to_the_existing_version(log_model):
    v0 = log_model(b"w")
    log_model(b"w2")
    again = log_model(b"w", aliases=["best"])
    assert again.pk == v0.pk
    assert aliases_of(v0) == ["best"]


def test_an_alias_moves_to_the_version_it_is_given_to(log_model, member):
    v0 = log_model(b"w0", aliases=["best"])
    v1 = log_model(b"w1", aliases=["best"])
    assert aliases_of(v0) == [] and aliases_of(v1) == ["best", "latest"]
    artifact_alias_set(version=v0, alias="best", user=member)
    assert aliases_of(v0) == ["best"]
    artifact_alias_remove(collection=v0.collection, alias="best", user=member)
    assert not ArtifactAlias.objects.filter(name="best").exists()


def test_removing_a_missing_alias_is_not_found(log_model, member):
    v0 = log_model(b"w0")
    with pytest.raises(NotFound, match="has no alias 'gone'"):
        artifact_alias_remove(collection=v0.collection, alias="gone", user=member)


@pytest.mark.parametrize("alias", ["latest", "v3"])
def test_reserved_aliases_cannot_be_set_by_hand(log_model, member, alias):
    v0 = log_model(b"w0")
    with pytest.raises(InvalidInput):
        artifact_alias_set(version=v0, alias=alias, user=member)
    assert aliases_of(v0) == ["latest"]


def test_a_version_name_is_refused_as_an_alias_when_logging(log_model):
    with pytest.raises(InvalidInput, match="'v3' is a version name, not an alias."):
        log_model(b"w1", aliases=["v3"])
    assert ArtifactVersion.objects.count() == 0


def test_latest_named_when_logging_is_left_to_the_server(log_model):
    v0 = log_model(b"w0", aliases=["best", "latest"])
    v1 = log_model(b"w1")
    again = log_model(b"w0", aliases=["latest"])
    assert again.pk == v0.pk
    assert aliases_of(v0) == ["best"] and aliases_of(v1) == ["latest"]


def test_logging_a_name_with_another_type_is_refused(log_model):
    log_model(b"w0", type="model")
    with pytest.raises(Conflict, match="has type 'model'; it cannot be logged as 'dataset'"):
        log_model(b"w1", type="dataset")
    assert ArtifactVersion.objects.count() == 1


def test_a_blob_that_was_not_uploaded_is_refused_and_nothing_is_written(project, member):
    entry = {"path": "m.onnx", "digest": "a" * 64, "size": 3}
    with pytest.raises(InvalidInput, match=f"The blob {'a' * 64} for 'm.onnx' has not been uploaded."):
        artifact_version_log(project=project, name="m", type="model", entries=[entry], user=member)
    assert not ArtifactCollection.objects.exists()


def test_a_size_that_differs_from_the_blob_is_refused(project, member, put_blob):
    entry = put_blob(b"abc") | {"size": 4}
    with pytest.raises(InvalidInput, match=r"The size given for 'model.onnx' \(4\) differs"):
        artifact_version_log(project=project, name="m", type="model", entries=[entry], user=member)


def test_version_records_size_file_count_metadata_and_run(project, member, put_blob):
    run = run_create(project=project, user=member, job_type="training", config={"lr": 0.1})
    version, _ = artifact_version_log(
        project=project,
        name="m",
        type="model",
        entries=[put_blob(b"12345", "a"), put_blob(b"678", "b")],
        metadata={"accuracy": 0.9, "nested": {"k": [1, 2]}},
        description="first",
        run=run,
        user=member,
    )
    assert (version.size, version.file_count, version.run, version.description) == (8, 2, run, "first")
    assert version.metadata == {"accuracy": 0.9, "nested": {"k": [1, 2]}}


def test_viewer_and_outsider_cannot_log(log_model, viewer, outsider):
    with pytest.raises(PermissionDenied, match="Your role in 'acme' is viewer"):
        log_model(b"w", user=viewer)
    with pytest.raises(NotFound, match="Entity 'acme' not found."):
        log_model(b"w", user=outsider)
    assert not ArtifactVersion.objects.exists()


def test_a_run_records_the_versions_it_used_once(project, member, log_model):
    version = log_model(b"w")
    run = run_create(project=project, user=member, job_type="inference")
    run_use_version(run=run, version=version, user=member)
    run_use_version(run=run, version=version, user=member)
    assert RunInput.objects.filter(run=run, version=version).count() == 1
    finished = run_finish(run=run, user=member, state="failed")
    assert finished.state == "failed" and finished.finished_at is not None


def test_a_run_cannot_finish_in_an_unknown_state(project, member):
    run = run_create(project=project, user=member)
    with pytest.raises(InvalidInput, match="Unknown final state 'done'"):
        run_finish(run=run, user=member, state="done")


def test_a_run_config_must_be_an_object(project, member):
    with pytest.raises(InvalidInput, match="Config must be a JSON object."):
        run_create(project=project, user=member, config=[1, 2])


def test_a_manifest_cannot_name_a_blob_of_another_team_by_its_digest(project, member, outsider, put_blob):
    from artifacts.services import project_ensure, user_entity_ensure

    stolen = put_blob(b"acme's private weights", user=member)
    own = project_ensure(entity=user_entity_ensure(user=outsider), name="loot", user=outsider)
    with pytest.raises(InvalidInput, match=f"The blob {stolen['digest']} for 'model.onnx' has not been uploaded."):
        artifact_version_log(project=own, name="w", type="model", entries=[stolen], user=outsider)
    assert not ArtifactVersion.objects.filter(collection__project=own).exists()


def test_the_hot_lookup_builds_the_same_version_as_the_orm(
    project, admin, member, viewer, outsider, put_blob, log_with_run
):
    """version_find reads one hand-written query (artifacts/selectors.py); what it builds must be what the
    ORM builds: every field of the version, its collection, project, entity, run and creator, its aliases,
    and the access rule."""
    from artifacts.api import version_out
    from artifacts.errors import NotFound, PermissionDenied
    from artifacts.models import ArtifactVersion
    from artifacts.selectors import version_find
    from artifacts.services import artifact_alias_set, artifact_version_log

    first, run = log_with_run()
    second, _ = artifact_version_log(
        project=project, name="nature-ckpt", type="model", entries=[put_blob(b"two", user=admin)], user=admin
    )
    artifact_alias_set(version=second, alias="candidate", user=member)
    admin.delete()  # the second version's created_by becomes NULL: the LEFT JOIN finds no user

    def orm(pk):
        return ArtifactVersion.objects.select_related("collection__project__entity", "run", "created_by").get(pk=pk)

    fields = [f.attname for f in ArtifactVersion._meta.concrete_fields]
    for version, selectors in [(first, ["v0", "best"]), (second, ["v1", "latest", "candidate"])]:
        for selector in selectors:
            found = version_find(user=viewer, entity="ACME", project="nature", name="nature-ckpt", selector=selector)
            expected = orm(version.pk)
            assert [getattr(found, f) for f in fields] == [getattr(expected, f) for f in fields]
            assert version_out(found) == version_out(expected)
            assert found.created_by == expected.created_by
            assert found.collection.project.entity.name == "acme"
    found = version_find(user=viewer, entity="acme", project="nature", name="nature-ckpt", selector="best")
    assert found.run.run_id == run.run_id and found.alias_names == ["best"]
    assert (
        version_find(user=viewer, entity="acme", project="nature", name="nature-ckpt", selector="v1").created_by is None
    )

    with pytest.raises(NotFound, match="Entity 'acme' not found"):
        version_find(user=outsider, entity="acme", project="nature", name="nature-ckpt", selector="v0")
    with pytest.raises(PermissionDenied):
        version_find(user=viewer, entity="acme", project="nature", name="nature-ckpt", selector="v0", write=True)
    with pytest.raises(NotFound, match="no version has the alias 'nope'"):
        version_find(user=viewer, entity="acme", project="nature", name="nature-ckpt", selector="nope")
