"""Linking artifact versions into registered models; aliases, events, cards, tags, resolving references."""

import pytest
from django.db.models import ProtectedError

from artifacts.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from artifacts.services import artifact_version_log, project_ensure, team_create
from registry.models import ModelCardRevision, ModelVersion, RegisteredModel, RegistryAlias, RegistryEvent
from registry.selectors import ref_resolve
from registry.services import (
    model_card_save,
    model_link,
    model_tag_add,
    model_tag_remove,
    model_tags_set,
    registered_model_create,
    registry_alias_remove,
    registry_alias_set,
)

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]
NAME = "Nature Classifier"


def aliases_of(link):
    return sorted(link.aliases.values_list("name", flat=True))


def test_linking_creates_the_registered_model_with_its_own_numbering(team, member, log_model):
    log_model(b"w0")
    v1 = log_model(b"w1")
    v2 = log_model(b"w2")
    first, created = model_link(artifact_version=v2, entity=team, name=NAME, user=member, aliases=["staging"])
    second, _ = model_link(artifact_version=v1, entity=team, name=NAME, user=member)
    assert created and (first.index, second.index) == (0, 1)
    assert aliases_of(first) == ["staging"] and aliases_of(second) == ["latest"]
    model = RegisteredModel.objects.get()
    assert model.name == NAME and model.created_by == member
    kinds = list(RegistryEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["model.created", "version.linked", "alias.moved", "version.linked"]


def test_linking_the_same_version_again_returns_the_existing_link(team, member, log_model):
    version = log_model(b"w0")
    first, created = model_link(artifact_version=version, entity=team, name=NAME, user=member)
    again, created_again = model_link(artifact_version=version, entity=team, name=NAME.lower(), user=member)
    assert created and not created_again and first.pk == again.pk
    assert ModelVersion.objects.count() == 1 and RegisteredModel.objects.count() == 1


def test_registered_model_names_are_unique_per_entity_ignoring_case(team, member):
    registered_model_create(entity=team, name=NAME, user=member)
    with pytest.raises(Conflict, match="A registered model named 'nature classifier' already exists in acme."):
        registered_model_create(entity=team, name="nature classifier", user=member)


def test_only_model_artifacts_can_be_linked(team, member, log_model):
    dataset = log_model(b"d", name="digits", type="dataset")
    with pytest.raises(
        InvalidInput, match="Only artifacts of type 'model' can be linked; 'digits' has type 'dataset'."
    ):
        model_link(artifact_version=dataset, entity=team, name=NAME, user=member)
    assert not RegisteredModel.objects.exists()


def test_a_version_of_another_entitys_project_cannot_be_linked(team, member, log_model, admin):
    version = log_model(b"w0")
    other = team_create(name="rivals", admin=admin)
    with pytest.raises(InvalidInput, match="belongs to another entity"):
        model_link(artifact_version=version, entity=other, name=NAME, user=admin)
    assert not RegisteredModel.objects.exists()


def test_a_viewer_cannot_link_and_an_outsider_is_not_told_the_team_exists(team, viewer, outsider, log_model):
    version = log_model(b"w0")
    with pytest.raises(PermissionDenied):
        model_link(artifact_version=version, entity=team, name=NAME, user=viewer)
    with pytest.raises(NotFound):
        model_link(artifact_version=version, entity=team, name=NAME, user=outsider)
    assert not RegisteredModel.objects.exists()


def test_a_linked_artifact_version_cannot_be_deleted(team, member, log_model):
    version = log_model(b"w0")
    model_link(artifact_version=version, entity=team, name=NAME, user=member)
    with pytest.raises(ProtectedError):
        version.delete()


def test_moving_an_alias_records_where_it_came_from(team, member, log_model):
    a, _ = model_link(artifact_version=log_model(b"a"), entity=team, name=NAME, user=member, aliases=["staging"])
    b, _ = model_link(artifact_version=log_model(b"b"), entity=team, name=NAME, user=member)
    assert registry_alias_set(version=b, alias="staging", user=member) is True
    assert registry_alias_set(version=b, alias="staging", user=member) is False
    assert aliases_of(a) == [] and aliases_of(b) == ["latest", "staging"]
    move = RegistryEvent.objects.filter(kind="alias.moved", alias="staging").order_by("id").last()
    assert (move.from_version, move.to_version, move.actor) == (a, b, member)
    registry_alias_remove(registered_model=b.registered_model, alias="staging", user=member)
    removal = RegistryEvent.objects.order_by("id").last()
    assert (removal.kind, removal.from_version, removal.to_version) == ("alias.removed", b, None)
    with pytest.raises(NotFound, match="Nature Classifier has no alias 'staging'."):
        registry_alias_remove(registered_model=b.registered_model, alias="staging", user=member)


def test_latest_is_kept_by_the_server(team, member, log_model):
    a, _ = model_link(artifact_version=log_model(b"a"), entity=team, name=NAME, user=member)
    with pytest.raises(InvalidInput, match="The alias 'latest' is kept by the server"):
        registry_alias_set(version=a, alias="latest", user=member)
    with pytest.raises(InvalidInput, match="The alias 'latest' is kept by the server"):
        registry_alias_remove(registered_model=a.registered_model, alias="latest", user=member)
    b, _ = model_link(artifact_version=log_model(b"b"), entity=team, name=NAME, user=member)
    assert RegistryAlias.objects.get(name="latest").version == b


def test_a_viewer_cannot_move_an_alias(team, member, viewer, log_model):
    link, _ = model_link(artifact_version=log_model(b"a"), entity=team, name=NAME, user=member)
    with pytest.raises(PermissionDenied):
        registry_alias_set(version=link, alias="production", user=viewer)
    assert not RegistryAlias.objects.filter(name="production").exists()


def test_protected_aliases_are_moved_by_admins_only(team, member, admin, log_model, settings):
    settings.REGISTRY_PROTECTED_ALIASES = ["production"]
    link, _ = model_link(artifact_version=log_model(b"a"), entity=team, name=NAME, user=member)
    with pytest.raises(PermissionDenied, match="The alias 'production' is protected"):
        registry_alias_set(version=link, alias="production", user=member)
    with pytest.raises(PermissionDenied):
        model_link(artifact_version=log_model(b"b"), entity=team, name=NAME, user=member, aliases=["production"])
    assert ModelVersion.objects.count() == 1
    assert registry_alias_set(version=link, alias="production", user=admin) is True


def test_saving_a_model_card_keeps_every_revision(team, member, admin, log_model):
    link, _ = model_link(artifact_version=log_model(b"a"), entity=team, name=NAME, user=member)
    model = link.registered_model
    first = model_card_save(registered_model=model, body="# v1", user=member)
    second = model_card_save(registered_model=model, body="# v2", user=admin)
    unchanged = model_card_save(registered_model=model, body="# v2", user=admin)
    assert (first.number, second.number, unchanged) == (1, 2, None)
    model.refresh_from_db()
    assert model.card == "# v2"
    assert list(ModelCardRevision.objects.order_by("number").values_list("body", "author__username")) == [
        ("# v1", "bob"),
        ("# v2", "alice"),
    ]
    assert RegistryEvent.objects.filter(kind="card.saved").count() == 2


def test_tags_are_set_added_and_removed_with_events(team, member):
    model = registered_model_create(entity=team, name=NAME, user=member, tags=["vision"])
    assert model_tags_set(registered_model=model, tags=["vision", "onnx"], user=member) == ["onnx", "vision"]
    assert model_tag_add(registered_model=model, tag="digits", user=member) == ["digits", "onnx", "vision"]
    assert model_tag_remove(registered_model=model, tag="onnx", user=member) == ["digits", "vision"]
    with pytest.raises(NotFound, match="has no tag 'onnx'"):
        model_tag_remove(registered_model=model, tag="onnx", user=member)
    with pytest.raises(InvalidInput, match="Invalid tag 'a/b'"):
        model_tag_add(registered_model=model, tag="a/b", user=member)
    events = RegistryEvent.objects.filter(kind="tags.changed").order_by("id")
    assert [e.data for e in events] == [
        {"added": ["onnx"], "removed": []},
        {"added": ["digits"], "removed": []},
        {"added": [], "removed": ["onnx"]},
    ]


def test_references_resolve_to_the_version_they_name(team, project, member, outsider, log_model):
    v0 = log_model(b"a", aliases=["best"])
    v1 = log_model(b"b")
    link, _ = model_link(artifact_version=v0, entity=team, name=NAME, user=member, aliases=["staging"])
    assert ref_resolve(user=member, text="acme/nature/nature-ckpt:best").artifact_version == v0
    assert ref_resolve(user=member, text="acme/nature/nature-ckpt:v1").artifact_version == v1
    assert ref_resolve(user=member, text="acme/nature/nature-ckpt").artifact_version == v1
    assert ref_resolve(user=member, text="nature-ckpt:best", entity="acme", project="nature").artifact_version == v0
    resolved = ref_resolve(user=member, text="acme/model-registry/nature classifier:staging")
    assert (resolved.artifact_version, resolved.model_version) == (v0, link)
    assert ref_resolve(user=member, text=f"acme/model-registry/{NAME}:v0").model_version == link


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nobody/nature/nature-ckpt:best", "Entity 'nobody' not found."),
        ("acme/other/nature-ckpt:best", "Project acme/other not found."),
        ("acme/nature/missing:best", "Artifact acme/nature/missing not found."),
        (
            "acme/nature/nature-ckpt:gone",
            "Artifact acme/nature/nature-ckpt:gone not found: no version has the alias 'gone'.",
        ),
        ("acme/nature/nature-ckpt:v9", "Artifact acme/nature/nature-ckpt:v9 not found: there is no version v9."),
        ("acme/model-registry/Missing:staging", "Registered model acme/model-registry/Missing not found."),
        (f"acme/model-registry/{NAME}:production", "Nature Classifier has no version with the alias 'production'."),
        (f"acme/model-registry/{NAME}:v7", "Nature Classifier has no version v7."),
    ],
)
def test_each_way_a_reference_can_fail_has_its_message(team, member, log_model, text, message):
    v0 = log_model(b"a", aliases=["best"])
    model_link(artifact_version=v0, entity=team, name=NAME, user=member)
    with pytest.raises(NotFound) as excinfo:
        ref_resolve(user=member, text=text)
    assert excinfo.value.message == message


def test_an_outsider_resolving_a_team_reference_learns_nothing(team, outsider, log_model):
    log_model(b"a", aliases=["best"])
    with pytest.raises(NotFound, match="Entity 'acme' not found."):
        ref_resolve(user=outsider, text="acme/nature/nature-ckpt:best")


def test_identical_content_in_two_projects_is_two_versions_sharing_one_blob(team, admin, member, put_blob):
    other = project_ensure(entity=team, name="other", user=admin)
    entry = put_blob(b"shared")
    nature = project_ensure(entity=team, name="nature", user=admin)
    a, _ = artifact_version_log(project=nature, name="m", type="model", entries=[entry], user=member)
    b, _ = artifact_version_log(project=other, name="m", type="model", entries=[entry], user=member)
    assert a.pk != b.pk and a.digest == b.digest


def test_names_are_found_ignoring_case_through_the_lower_name_indexes(team, member, log_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    link, _ = model_link(artifact_version=log_model(b"a"), entity=team, name=NAME, user=member, aliases=["staging"])
    with CaptureQueriesContext(connection) as queries:
        found = ref_resolve(user=member, text="ACME/model-registry/nature CLASSIFIER:staging")
    assert found.model_version == link
    lookups = [q["sql"] for q in queries.captured_queries if "registry_registeredmodel" in q["sql"]]
    # LOWER(name) = LOWER(%s) is what the unique indexes are built on; UPPER(...) (iexact) would scan.
    # (The ORM writes the column in full; the hand-written hot lookup in registry/selectors.py as rm.name.)
    assert lookups and all(
        'LOWER("registry_registeredmodel"."name")' in sql or "LOWER(rm.name) = LOWER(" in sql for sql in lookups
    )
    assert not any("UPPER(" in sql for sql in lookups)


def test_the_hot_lookup_builds_the_same_link_as_the_orm_for_every_kind_of_version(
    team, admin, member, viewer, outsider, log_model, log_with_run
):
    """model_version_find reads one hand-written query (registry/selectors.py); what it builds must be what
    the ORM builds: every field of every object link_out reads, both alias lists, and the access rule."""
    from artifacts.models import ArtifactVersion
    from registry.api import link_out
    from registry.selectors import model_version_find

    with_run, run = log_with_run()
    plain = log_model(b"plain")
    first, _ = model_link(artifact_version=with_run, entity=team, name=NAME, user=member, aliases=["staging", "prod"])
    second, _ = model_link(artifact_version=plain, entity=team, name=NAME, user=admin)
    admin.delete()  # the second link's linked_by becomes NULL: the LEFT JOIN finds no user

    def orm(link):
        fetched = ModelVersion.objects.select_related(
            "registered_model__entity", "artifact_version__collection__project__entity", "artifact_version__run"
        ).get(pk=link.pk)
        fetched.artifact_version = ArtifactVersion.objects.select_related("collection__project__entity", "run").get(
            pk=link.artifact_version_id
        )
        return link_out(fetched)

    for link, selectors in [(first, ["v0", "staging", "prod"]), (second, ["v1", "latest"])]:
        for selector in selectors:
            for name in (NAME, NAME.upper()):
                found = model_version_find(user=viewer, entity_name="ACME", name=name, selector=selector)
                assert found.pk == link.pk
                assert link_out(found) == orm(link)
    out = link_out(model_version_find(user=viewer, entity_name="acme", name=NAME, selector="staging"))
    assert out["aliases"] == ["prod", "staging"] and out["artifact"]["aliases"] == ["best"]
    assert out["artifact"]["run_id"] == run.run_id and out["artifact"]["metadata"]["nested"] == {"layers": [1, "two"]}
    assert link_out(model_version_find(user=viewer, entity_name="acme", name=NAME, selector="v1"))["linked_by"] is None

    with pytest.raises(NotFound, match="Entity 'acme' not found"):
        model_version_find(user=outsider, entity_name="acme", name=NAME, selector="staging")
    with pytest.raises(NotFound, match="has no version with the alias 'nope'"):
        model_version_find(user=viewer, entity_name="acme", name=NAME, selector="nope")
    with pytest.raises(NotFound, match="has no version v9"):
        model_version_find(user=viewer, entity_name="acme", name=NAME, selector="v9")


def test_a_new_link_is_the_row_the_database_holds(team, member, log_model):
    """model_link writes the link with a hand-written INSERT and builds it in Python; the instance it returns
    must equal the row read back, field for field (created_at included), and the event must be what the
    ORM reads back too."""
    from django.forms.models import model_to_dict

    log_model(b"w0")
    v1 = log_model(b"w1")
    model_link(artifact_version=v1, entity=team, name=NAME, user=member)
    link, created = model_link(artifact_version=log_model(b"w2"), entity=team, name=NAME, user=member)
    assert created and link.index == 1
    stored = ModelVersion.objects.get(pk=link.pk)
    assert model_to_dict(link) == model_to_dict(stored) and link.created_at == stored.created_at
    assert not link._state.adding and link.linked_by == member
    event = RegistryEvent.objects.filter(kind="version.linked").latest("id")
    assert (event.version_id, event.actor_id, event.data) == (link.pk, member.pk, {"aliases": []})
    assert RegistryAlias.objects.get(name="latest").version_id == link.pk


def test_linking_a_version_already_linked_inserts_nothing_and_keeps_the_numbering(team, member, log_model):
    versions = [log_model(f"w{i}".encode()) for i in range(3)]
    for version in versions:
        model_link(artifact_version=version, entity=team, name=NAME, user=member)
    again, created = model_link(artifact_version=versions[1], entity=team, name=NAME, user=member)
    assert not created and again.index == 1 and again.linked_by == member
    assert list(ModelVersion.objects.order_by("index").values_list("index", flat=True)) == [0, 1, 2]
    assert RegistryAlias.objects.get(name="latest").version.index == 2
    fourth, _ = model_link(artifact_version=log_model(b"w3"), entity=team, name=NAME, user=member)
    assert fourth.index == 3


def test_removing_an_alias_records_the_version_it_left(team, member, log_model):
    link, _ = model_link(artifact_version=log_model(b"w0"), entity=team, name=NAME, user=member, aliases=["staging"])
    registry_alias_remove(registered_model=link.registered_model, alias="staging", user=member)
    event = RegistryEvent.objects.latest("id")
    assert (event.kind, event.alias, event.version_id, event.from_version_id) == (
        "alias.removed",
        "staging",
        link.pk,
        link.pk,
    )
    assert aliases_of(link) == ["latest"]
