"""Who gets what on every page: members and viewers read, outsiders get 404, anonymous users sign in first."""

import pytest
from django.urls import reverse

from registry.models import ModelCardRevision, RegistryAlias, Tag

pytestmark = [pytest.mark.django_db]

MODEL = ["acme", "Nature Classifier"]
VERSION = ["acme", "nature", "nature-ckpt", 0]

READ_PAGES = [
    ("artifacts:entity_detail", ["acme"]),
    ("artifacts:project_runs", ["acme", "nature"]),
    ("artifacts:project_artifacts", ["acme", "nature"]),
    ("artifacts:collection_detail", ["acme", "nature", "nature-ckpt"]),
    ("artifacts:version_detail", VERSION),
    ("artifacts:version_files", VERSION),
    ("artifacts:file_download", [*VERSION, "model.onnx"]),
    ("registry:model_list", ["acme"]),
    ("registry:model_detail", MODEL),
    ("registry:card_history", MODEL),
]


@pytest.mark.parametrize("name,args", READ_PAGES)
@pytest.mark.parametrize("who,status", [("admin", 200), ("member", 200), ("viewer", 200), ("outsider", 404)])
def test_team_pages_are_readable_by_members_and_hidden_from_outsiders(
    client_for, people, registered, name, args, who, status
):
    response = client_for(people[who]).get(reverse(name, args=args))
    assert response.status_code == status


@pytest.mark.parametrize("name,args", READ_PAGES)
def test_anonymous_users_are_sent_to_sign_in(client_for, registered, name, args):
    response = client_for(None).get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_a_missing_team_is_a_404_like_a_hidden_one(client_for, member, registered):
    assert client_for(member).get("/nope/model-registry/").status_code == 404
    assert client_for(member).get("/acme/model-registry/Nope/").status_code == 404
    assert client_for(member).get("/acme/nature/artifacts/nature-ckpt/v9/").status_code == 404


def test_a_run_page_follows_the_same_rules(client_for, people, project, member):
    from artifacts.services import run_create

    run = run_create(project=project, user=member, job_type="training", config={"lr": 0.1})
    url = reverse("artifacts:run_detail", args=["acme", "nature", run.run_id])
    assert client_for(people["viewer"]).get(url).status_code == 200
    assert client_for(people["outsider"]).get(url).status_code == 404
    assert client_for(people["member"]).get(url.replace(run.run_id, "zzzzzzzz")).status_code == 404


@pytest.mark.parametrize("who,status", [("admin", 200), ("member", 403), ("viewer", 403), ("outsider", 404)])
def test_team_settings_are_for_admins_only(client_for, people, who, status):
    assert client_for(people[who]).get(reverse("artifacts:team_settings", args=["acme"])).status_code == status


WRITES = [
    ("registry:alias_add", [*MODEL, 1], {"alias": "production"}),
    ("registry:alias_remove", [*MODEL, "staging"], {}),
    ("registry:card_edit", MODEL, {"body": "# Hacked"}),
    ("registry:card_preview", MODEL, {"body": "# Preview"}),
    ("registry:tag_add", MODEL, {"tag": "vision"}),
    ("registry:tag_remove", [*MODEL, "vision"], {}),
]


def _state(model):
    return (
        sorted(RegistryAlias.objects.filter(registered_model=model).values_list("name", "version__index")),
        ModelCardRevision.objects.filter(registered_model=model).count(),
        sorted(Tag.objects.filter(registered_model=model).values_list("name", flat=True)),
    )


@pytest.mark.parametrize("name,args,data", WRITES)
@pytest.mark.parametrize("who,status", [("viewer", 403), ("outsider", 404)])
def test_viewers_and_outsiders_cannot_change_a_registered_model(
    client_for, people, registered, member, name, args, data, who, status
):
    from registry.services import model_tag_add

    model_tag_add(registered_model=registered, tag="vision", user=member)
    before = _state(registered)
    for headers in ({}, {"HX-Request": "true"}):
        response = client_for(people[who]).post(reverse(name, args=args), data, headers=headers)
        assert response.status_code == status
    assert _state(registered) == before


@pytest.mark.parametrize("name,args,data", WRITES)
def test_anonymous_writes_are_sent_to_sign_in_and_change_nothing(client_for, registered, name, args, data):
    before = _state(registered)
    response = client_for(None).post(reverse(name, args=args), data)
    assert response.status_code == 302
    assert _state(registered) == before


def test_viewers_get_pages_without_write_controls(client_for, viewer, registered):
    model_page = client_for(viewer).get(reverse("registry:model_detail", args=MODEL)).content.decode()
    version_page = client_for(viewer).get(reverse("artifacts:version_detail", args=VERSION)).content.decode()
    assert 'id="edit-card"' not in model_page
    assert "Add alias" not in model_page
    assert "Remove alias" not in model_page
    assert 'aria-label="Add tag"' not in model_page
    assert 'id="link-to-registry"' not in version_page


def test_members_get_pages_with_write_controls(client_for, member, registered):
    model_page = client_for(member).get(reverse("registry:model_detail", args=MODEL)).content.decode()
    version_page = client_for(member).get(reverse("artifacts:version_detail", args=VERSION)).content.decode()
    assert 'id="edit-card"' in model_page
    assert 'aria-label="Add alias to v1"' in model_page
    assert 'aria-label="Remove alias staging"' in model_page
    assert 'aria-label="Remove alias latest"' not in model_page
    assert 'id="link-to-registry"' in version_page


@pytest.mark.parametrize("name,args,data", WRITES)
def test_every_write_needs_a_csrf_token_htmx_included(member, registered, name, args, data):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    before = _state(registered)
    for headers in ({}, {"HX-Request": "true"}):
        assert client.post(reverse(name, args=args), data, headers=headers).status_code == 403
    assert _state(registered) == before


def test_the_page_sends_the_csrf_token_with_every_htmx_request(client_for, member, registered):
    page = client_for(member).get(reverse("registry:model_detail", args=MODEL)).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
