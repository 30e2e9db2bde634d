"""The API operations the bench compares with MLflow each issue a fixed, small number of SQL queries.

The numbers are today's exact counts (docs/bench.md explains each); a change that adds a round trip to
one of these paths shows up here, whatever the size of the data.
"""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

MODEL = "/registry/acme/models/Nature%20Classifier"


@pytest.fixture
def api(api_as, member, log_model):
    for content in (b"w0", b"w1", b"w2"):
        log_model(content)
    api = api_as(member)
    assert (
        api.post(MODEL + "/versions", {"artifact": "acme/nature/nature-ckpt:v0", "aliases": ["staging"]}).status_code
        == 201
    )
    return api


def test_the_shared_registry_operations_take_a_fixed_number_of_queries(api, django_assert_num_queries):
    # Authentication (1) is in every count. Writes also count their transaction's two statements (BEGIN and
    # COMMIT, or a savepoint's), so they are bounded from above; reads are exact.
    with django_assert_num_queries(2):  # key; the version with its model, entity, role, artifact and aliases
        response = api.get(MODEL + "/versions/staging")
    assert response.json()["version"] == "v0"
    with django_assert_num_queries(2):
        assert api.get(MODEL + "/versions/v0").json()["aliases"] == ["latest", "staging"]
    with django_assert_num_queries(3):  # key; entity; a page of models with their tags, aliases and counts
        assert [m["name"] for m in api.get("/registry/acme/models?q=nature&limit=50").json()] == ["Nature Classifier"]


def test_the_shared_registry_writes_take_a_bounded_number_of_queries(api, django_assert_max_num_queries):
    # key; the artifact version with its entity and the caller's role; lock and touch the model; the insert
    # (with the next index, unless already linked); `latest`; event; integrations (+ BEGIN, COMMIT)
    with django_assert_max_num_queries(9):
        response = api.post(MODEL + "/versions", {"artifact": "acme/nature/nature-ckpt:v1"})
    assert response.status_code == 201 and response.json()["aliases"] == ["latest"]
    # key; the version with its model, entity and role; lock; current alias; update; event; integrations;
    # touch the model (+ BEGIN, COMMIT)
    with django_assert_max_num_queries(10):
        response = api.put(MODEL + "/aliases/staging", {"version": "v1"})
    assert response.json() == {"alias": "staging", "version": "v1"}
