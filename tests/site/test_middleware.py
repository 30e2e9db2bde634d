"""NUL characters never reach the database: a clear 400 on pages and in the API."""

import json

import pytest

from registry.models import RegisteredModel

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.mark.parametrize(
    "url",
    ["/acme/model-registry/?q=%00", "/acme/model-registry/?tag=%00", "/acme/model-registry/%00/", "/%00/"],
)
def test_a_nul_in_a_page_address_is_a_bad_request(client, admin, team, url):
    client.force_login(admin)
    response = client.get(url)
    assert response.status_code == 400
    assert b"NUL characters are not allowed" in response.content


def test_a_nul_in_an_api_json_body_is_refused_with_json(client, admin, team):
    from artifacts.services import api_key_create

    _, key = api_key_create(user=admin)
    body = json.dumps({"name": "Model\u0000", "card": "x"})
    response = client.post(
        "/api/v1/registry/acme/models", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "NUL characters are not allowed in names, addresses or values."}
    nested = json.dumps({"name": "Fine", "card": "x", "tags": ["a\u0000"]})
    response = client.post(
        "/api/v1/registry/acme/models", nested, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 400
    assert not RegisteredModel.objects.exists()


def test_an_escaped_backslash_u0000_is_ordinary_text(client, admin, team):
    from artifacts.services import api_key_create

    _, key = api_key_create(user=admin)
    body = json.dumps({"name": "Fine", "card": "a literal \\u0000 in markdown"})
    response = client.post(
        "/api/v1/registry/acme/models", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 201
    assert RegisteredModel.objects.get().card == "a literal \\u0000 in markdown"
