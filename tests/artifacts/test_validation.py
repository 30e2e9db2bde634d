"""Every name, path and value rule of the design, each with its exact message, and nothing written."""

import re

import pytest

from artifacts.errors import InvalidInput
from artifacts.models import ArtifactCollection, Project
from artifacts.refs import parse_ref
from artifacts.services import artifact_version_log, project_ensure, team_create
from registry.models import RegisteredModel
from registry.services import model_link, model_tag_add

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../x", "Invalid path '../x': '..' would escape the artifact's root."),
        ("a/../../x", "Invalid path 'a/../../x': '..' would escape the artifact's root."),
        ("/etc/passwd", "Invalid path '/etc/passwd': it must be relative, not absolute."),
        ("a//b", "Invalid path 'a//b': it has an empty or '.' segment."),
        ("./a", "Invalid path './a': it has an empty or '.' segment."),
        ("a/", "Invalid path 'a/': it has an empty or '.' segment."),
        ("a\x00b", "Invalid path 'a\\x00b': it contains a NUL character."),
        ("a\\b", "Invalid path 'a\\\\b': use '/' as the separator, not '\\'."),
        ("", "A file path must be a non-empty string."),
        ("a\nb", "Invalid path 'a\\nb': it contains a control character."),
        ("\r\nSet-Cookie: a=b", "Invalid path '\\r\\nSet-Cookie: a=b': it contains a control character."),
    ],
)
def test_bad_manifest_paths_are_refused_with_their_reason(project, member, put_blob, path, message):
    entry = put_blob(b"data") | {"path": path}
    with pytest.raises(InvalidInput) as excinfo:
        artifact_version_log(project=project, name="m", type="model", entries=[entry], user=member)
    assert excinfo.value.message == message
    assert not ArtifactCollection.objects.exists()


def test_a_path_given_twice_is_refused(project, member, put_blob):
    entries = [put_blob(b"a", "x.bin"), put_blob(b"b", "x.bin")]
    with pytest.raises(InvalidInput, match="The path 'x.bin' appears twice in the manifest."):
        artifact_version_log(project=project, name="m", type="model", entries=entries, user=member)


def test_an_empty_manifest_is_refused(project, member):
    with pytest.raises(InvalidInput, match="The manifest is empty"):
        artifact_version_log(project=project, name="m", type="model", entries=[], user=member)


def test_an_entry_with_unknown_fields_is_refused(project, member, put_blob):
    entry = put_blob(b"a") | {"mode": 644}
    with pytest.raises(InvalidInput, match="Unknown manifest entry fields: mode."):
        artifact_version_log(project=project, name="m", type="model", entries=[entry], user=member)


def test_a_reference_needs_a_known_scheme(project, member):
    entry = {"path": "x", "ref": "ftp://host/x"}
    with pytest.raises(InvalidInput, match="Invalid reference 'ftp://host/x': expected a URI starting with"):
        artifact_version_log(project=project, name="m", type="model", entries=[entry], user=member)


@pytest.mark.parametrize("metadata", [[1, 2], "text", 3])
def test_metadata_must_be_a_json_object(project, member, put_blob, metadata):
    with pytest.raises(InvalidInput, match="^Metadata must be a JSON object.$"):
        artifact_version_log(
            project=project, name="m", type="model", entries=[put_blob(b"a")], metadata=metadata, user=member
        )
    assert not ArtifactCollection.objects.exists()


def test_metadata_over_the_configured_size_is_refused(project, member, put_blob, settings):
    settings.REGISTRY_MAX_METADATA_BYTES = 100
    with pytest.raises(InvalidInput, match="^Metadata is larger than the limit of 100 bytes.$"):
        artifact_version_log(
            project=project, name="m", type="model", entries=[put_blob(b"a")], metadata={"x": "y" * 200}, user=member
        )


def test_metadata_with_nan_is_refused(project, member, put_blob):
    with pytest.raises(InvalidInput, match="Metadata is not valid JSON"):
        artifact_version_log(
            project=project, name="m", type="model", entries=[put_blob(b"a")], metadata={"x": float("nan")}, user=member
        )


@pytest.mark.parametrize("name", ["a/b", "a:b", "", "x" * 129, "sp ace"])
def test_artifact_names_with_slash_colon_or_bad_characters_are_refused(project, member, put_blob, name):
    with pytest.raises(InvalidInput) as excinfo:
        artifact_version_log(project=project, name=name, type="model", entries=[put_blob(b"a")], user=member)
    assert excinfo.value.message == (
        f"Invalid artifact name {name!r}: use 1 to 128 letters, digits, '_', '-' or '.' (no '/' or ':')."
    )


@pytest.mark.parametrize(
    ("alias", "message"),
    [
        ("v3", "'v3' is a version name, not an alias."),
        ("Latest", "The alias 'latest' is kept by the server and cannot be set or removed by hand."),
        ("bad alias", "Invalid alias 'bad alias': use 1 to 128 letters, digits, '_', '-' or '.'."),
        ("a/b", "Invalid alias 'a/b': use 1 to 128 letters, digits, '_', '-' or '.'."),
    ],
)
def test_aliases_given_when_logging_follow_the_rules(log_model, alias, message):
    with pytest.raises(InvalidInput) as excinfo:
        log_model(b"w", aliases=[alias])
    assert excinfo.value.message == message
    assert not ArtifactCollection.objects.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a/b", "Invalid registered model name 'a/b': it may not contain '/' or ':'."),
        ("a:b", "Invalid registered model name 'a:b': it may not contain '/' or ':'."),
        ("   ", "The registered model name must not be empty."),
        ("x" * 129, "The registered model name is longer than 128 characters."),
    ],
)
def test_registered_model_names_follow_the_rules(team, member, log_model, name, message):
    version = log_model(b"w")
    with pytest.raises(InvalidInput) as excinfo:
        model_link(artifact_version=version, entity=team, name=name, user=member)
    assert excinfo.value.message == message
    assert not RegisteredModel.objects.exists()


@pytest.mark.parametrize("name", ["-lead", "has space", "a/b", "x" * 65, ""])
def test_team_names_follow_the_entity_rule(admin, name):
    with pytest.raises(InvalidInput, match="Invalid entity name"):
        team_create(name=name, admin=admin)


@pytest.mark.parametrize("name", ["login", "API", "profile", "static", "dev"])
def test_names_the_site_uses_cannot_name_a_team(admin, name):
    with pytest.raises(InvalidInput, match=f"The name '{name}' is reserved by the site; choose another."):
        team_create(name=name, admin=admin)


@pytest.mark.parametrize("name", ["settings", "integrations"])
def test_names_the_entity_pages_use_cannot_name_a_project(team, admin, name):
    with pytest.raises(InvalidInput, match=f"The project name '{name}' is reserved by the site; choose another."):
        project_ensure(entity=team, name=name, user=admin)


def test_the_model_registry_project_name_is_reserved(team, admin):
    with pytest.raises(InvalidInput, match="The project name 'model-registry' is reserved for the model registry."):
        project_ensure(entity=team, name="model-registry", user=admin)
    assert not Project.objects.filter(name="model-registry").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The reference is empty: expected 'entity/project/name:alias' or 'name:alias'."),
        ("a/b/c:d:e", "Malformed reference 'a/b/c:d:e': more than one ':'."),
        ("a/b/c:", "Malformed reference 'a/b/c:': nothing after ':'."),
        ("a/b/c:bad alias", "Malformed reference 'a/b/c:bad alias': 'bad alias' is not an alias or a version."),
        (
            "a/b/c/d:x",
            "Malformed reference 'a/b/c/d:x': expected 'entity/project/name:alias' (or 'name:alias' inside a run).",
        ),
        (
            "name:alias",
            "Malformed reference 'name:alias': expected 'entity/project/name:alias' (or 'name:alias' inside a run).",
        ),
    ],
)
def test_malformed_references_say_what_is_wrong(text, message):
    with pytest.raises(InvalidInput) as excinfo:
        parse_ref(text)
    assert excinfo.value.message == message


def test_references_parse_in_every_form_of_the_design():
    assert str(parse_ref("acme/nature/ckpt:best")) == "acme/nature/ckpt:best"
    assert str(parse_ref("acme/nature/ckpt")) == "acme/nature/ckpt:latest"
    assert parse_ref("acme/nature/ckpt:v3").version_index == 3
    inside = parse_ref("ckpt:best", entity="acme", project="nature")
    assert (inside.entity, inside.project, inside.name) == ("acme", "nature", "ckpt")
    registry = parse_ref("acme/model-registry/Nature Classifier:production")
    assert registry.in_registry and registry.name == "Nature Classifier" and registry.selector == "production"


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_names_are_refused_wherever_they_would_name_a_page(team, member, log_model, name):
    version = log_model(b"w")
    with pytest.raises(InvalidInput, match=f"^{re.escape(repr(name))} cannot be an alias"):
        log_model(b"w2", aliases=[name])
    with pytest.raises(InvalidInput, match=f"^{re.escape(repr(name))} cannot be a registered model name"):
        model_link(artifact_version=version, entity=team, name=name, user=member)
    with pytest.raises(InvalidInput, match=f"^{re.escape(repr(name))} cannot be an artifact name"):
        log_model(b"w3", name=name)
    model = model_link(artifact_version=version, entity=team, name="Fine", user=member)[0].registered_model
    with pytest.raises(InvalidInput, match=f"^{re.escape(repr(name))} cannot be a tag"):
        model_tag_add(registered_model=model, tag=name, user=member)
    assert not model.tags.exists() and RegisteredModel.objects.count() == 1


def test_a_description_over_the_limit_is_refused(project, member, put_blob):
    with pytest.raises(InvalidInput, match="The description must be a string of at most 20000 characters."):
        artifact_version_log(
            project=project, name="m", type="model", entries=[put_blob(b"a")], description="x" * 20_001, user=member
        )
    assert not ArtifactCollection.objects.exists()
