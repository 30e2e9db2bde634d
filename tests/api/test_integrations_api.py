"""Integrations through the JSON API: admins manage them; members, viewers and outsiders cannot."""

import pytest

from notifications.models import Delivery, Integration

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]
BASE = "/entities/acme/integrations"


@pytest.fixture
def body(team, receiver):
    return {"name": "#ml-alerts", "kind": "slack", "url": receiver.url, "events": ["version.linked"]}


def test_an_admin_creates_lists_and_reads_an_integration_with_the_url_masked(api_as, admin, body, webhook_settings):
    api = api_as(admin)
    created = api.post(BASE, body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["name"] == "#ml-alerts" and data["events"] == ["version.linked"] and data["enabled"] is True
    assert data["url"] != body["url"] and "/hook" not in data["url"]
    assert [i["id"] for i in api.get(BASE).json()] == [data["id"]]
    assert api.get(f"{BASE}/{data['id']}").json()["url"] == data["url"]
    assert Integration.objects.get().url == body["url"]


def test_a_private_webhook_address_is_refused_and_nothing_is_saved(api_as, admin, body):
    response = api_as(admin).post(BASE, body)
    assert response.status_code == 400
    assert "private, loopback or link-local" in response.json()["detail"]
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "email"}, "The kind must be one of: slack, webhook."),
        ({"events": []}, "Choose at least one event."),
        ({"events": ["deploy"]}, "Unknown event 'deploy'"),
        ({"url": "ftp://example.com/x"}, "https"),
        ({"registered_model": "Nope"}, "Registered model acme/model-registry/Nope not found."),
    ],
)
def test_bad_integrations_are_refused_with_a_reason(api_as, admin, body, webhook_settings, change, message):
    response = api_as(admin).post(BASE, body | change)
    assert response.status_code in (400, 404)
    assert message in response.json()["detail"]
    assert not Integration.objects.exists()


def test_unknown_fields_are_refused(api_as, admin, body, webhook_settings):
    response = api_as(admin).post(BASE, body | {"colour": "red"})
    assert response.status_code == 422 and "colour" in response.json()["detail"]


def test_an_admin_updates_disables_tests_and_deletes(api_as, admin, body, receiver, webhook_settings):
    api = api_as(admin)
    integration_id = api.post(BASE, body).json()["id"]
    patched = api.patch(f"{BASE}/{integration_id}", {"name": "renamed", "enabled": False})
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["enabled"]) == ("renamed", False)
    assert Integration.objects.get().url == body["url"]  # omitted url keeps the saved one

    tested = api.post(f"{BASE}/{integration_id}/test")
    assert tested.status_code == 200 and tested.json()["state"] == Delivery.SENT
    assert len(receiver.requests) == 1
    deliveries = api.get(f"{BASE}/{integration_id}/deliveries").json()
    assert [d["kind"] for d in deliveries["items"]] == ["test"] and deliveries["next_cursor"] is None

    assert api.delete(f"{BASE}/{integration_id}").status_code == 204
    assert not Integration.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("viewer", 403), ("outsider", 404)])
def test_only_admins_may_see_or_manage_integrations(api_as, admin, body, webhook_settings, request, who, status):
    integration_id = api_as(admin).post(BASE, body).json()["id"]
    api = api_as(request.getfixturevalue(who))
    assert api.get(BASE).status_code == status
    assert api.post(BASE, body).status_code == status
    assert api.patch(f"{BASE}/{integration_id}", {"name": "x"}).status_code == status
    assert api.delete(f"{BASE}/{integration_id}").status_code == status
    assert Integration.objects.get().name == "#ml-alerts"


def test_an_integration_of_another_team_is_not_found(api_as, admin, body, webhook_settings):
    from artifacts.services import team_create

    team_create(name="rivals", admin=admin)
    integration_id = api_as(admin).post(BASE, body).json()["id"]
    response = api_as(admin).get(f"/entities/rivals/integrations/{integration_id}")
    assert response.status_code == 404
    assert response.json()["detail"] == f"Integration {integration_id} of rivals not found."
