"""The JSON API of the model registry: link, registered models, aliases, cards, tags, history; session auth."""

import pytest

from registry.models import ModelVersion, RegisteredModel, RegistryEvent

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

MODEL = "/registry/acme/models/Nature%20Classifier"


def link(api, ref="acme/nature/nature-ckpt:v0", aliases=("staging",)):
    return api.post(MODEL + "/versions", {"artifact": ref, "aliases": list(aliases)})


def test_linking_creates_the_registered_model_and_relinking_returns_the_same_version(api_as, member, log_model):
    log_model(b"weights")
    api = api_as(member)
    first, again = link(api), link(api)
    assert (first.status_code, again.status_code) == (201, 200)
    body = first.json()
    assert (body["registered_model"], body["version"], body["aliases"]) == (
        "Nature Classifier",
        "v0",
        ["latest", "staging"],
    )
    assert body["artifact"]["ref"] == "acme/nature/nature-ckpt:v0"
    assert ModelVersion.objects.count() == 1


def test_a_registry_reference_resolves_to_the_linked_artifact_version(api_as, member, log_model):
    log_model(b"weights")
    api = api_as(member)
    link(api)
    resolved = api.get("/resolve?ref=acme/model-registry/Nature Classifier:staging").json()
    assert (resolved["name"], resolved["version"], resolved["registered_model_version"]) == ("nature-ckpt", "v0", "v0")


def test_a_viewer_trying_to_link_gets_403_and_nothing_changes(api_as, viewer, log_model):
    log_model(b"weights")
    response = link(api_as(viewer))
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role in 'acme' is viewer: it may read but not change."}
    assert not RegisteredModel.objects.exists()


def test_an_outsider_gets_404_for_a_teams_registry(api_as, member, outsider, log_model):
    log_model(b"weights")
    link(api_as(member))
    response = api_as(outsider).get(MODEL)
    assert response.status_code == 404
    assert response.json() == {"detail": "Entity 'acme' not found."}


def test_the_card_and_tags_are_updated_and_recorded(api_as, member, log_model):
    log_model(b"weights")
    api = api_as(member)
    link(api)
    response = api.patch(MODEL, {"card": "# Nature\n", "tags": ["onnx", "vision"]})
    assert response.status_code == 200
    assert (response.json()["card"], response.json()["tags"]) == ("# Nature\n", ["onnx", "vision"])
    kinds = set(RegistryEvent.objects.values_list("kind", flat=True))
    assert {RegistryEvent.CARD_SAVED, RegistryEvent.TAGS_CHANGED} <= kinds


def test_creating_a_model_twice_is_a_409(api_as, member, team):
    api = api_as(member)
    assert api.post("/registry/acme/models", {"name": "Tutorial"}).status_code == 201
    response = api.post("/registry/acme/models", {"name": "tutorial"})
    assert response.status_code == 409
    assert response.json() == {"detail": "A registered model named 'tutorial' already exists in acme."}


def test_a_registry_alias_moves_and_its_history_shows_each_move(api_as, member, log_model):
    log_model(b"a")
    log_model(b"b")
    api = api_as(member)
    link(api, "acme/nature/nature-ckpt:v0")
    link(api, "acme/nature/nature-ckpt:v1", aliases=())
    assert api.put(MODEL + "/aliases/staging", {"version": "v1"}).json() == {"alias": "staging", "version": "v1"}
    history = api.get(MODEL + "/history?alias=staging").json()
    assert [(e["from_version"], e["to_version"]) for e in history] == [("v0", "v1"), (None, "v0")]
    assert api.delete(MODEL + "/aliases/staging").status_code == 204
    assert api.get(MODEL + "/aliases").json() == [{"alias": "latest", "version": "v1"}]


def test_setting_latest_by_hand_is_refused(api_as, member, log_model):
    log_model(b"a")
    api = api_as(member)
    link(api)
    response = api.put(MODEL + "/aliases/latest", {"version": "v0"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The alias 'latest' is kept by the server and cannot be set or removed by hand."
    }


def test_the_browser_session_reads_but_must_send_the_csrf_token_to_write(member, log_model):
    from django.test import Client

    log_model(b"weights")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    assert browser.get("/api/v1/projects/acme/nature/artifacts").status_code == 200
    body = {"artifact": "acme/nature/nature-ckpt:v0", "aliases": []}
    refused = browser.post("/api/v1" + MODEL + "/versions", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF check failed: session writes need the X-CSRFToken header."}
    assert not ModelVersion.objects.exists()
    token = "k" * 32  # a CSRF secret, as the cookie our pages set would hold
    browser.cookies["csrftoken"] = token
    accepted = browser.post(
        "/api/v1" + MODEL + "/versions", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201


def test_listing_registered_models_takes_a_fixed_number_of_queries(
    api_as, member, log_model, django_assert_max_num_queries
):
    for i in range(6):
        log_model(f"w{i}".encode())
    api = api_as(member)
    for i in range(6):
        api.post(
            f"/registry/acme/models/Model%20{i}/versions",
            {"artifact": f"acme/nature/nature-ckpt:v{i}", "aliases": ["staging"]},
        )
    with django_assert_max_num_queries(12):
        response = api.get("/registry/acme/models")
    assert [m["aliases"] for m in response.json()] == [{"latest": "v0", "staging": "v0"}] * 6


@pytest.mark.parametrize(
    "path",
    [
        MODEL + "/versions/v99999999999999999999",
        MODEL + "/versions/v9223372036854775808",
        "/resolve?ref=acme/model-registry/Nature Classifier:v99999999999999999999",
        "/resolve?ref=acme/nature/nature-ckpt:v99999999999999999999",
        "/projects/acme/nature/artifacts/nature-ckpt/versions/v99999999999999999999",
        "/projects/acme/nature/artifacts/nature-ckpt/versions/v99999999999999999999/files/model.onnx",
    ],
)
def test_a_version_number_no_column_can_hold_is_a_404(api_as, member, log_model, path):
    # SQLite refuses a Python int beyond 64 bits outright; the hand-written lookups must not pass it on.
    log_model(b"weights")
    api = api_as(member)
    link(api)
    response = api.get(path)
    assert response.status_code == 404, response.content
    assert "not found" in response.json()["detail"] or "has no version" in response.json()["detail"]
