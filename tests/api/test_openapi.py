"""The published OpenAPI schema is valid, and schemathesis finds no 5xx and no response breaking it."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member_key(db, member, log_model):
    """A member of acme, whose project holds one model version, so some generated requests find things."""
    from artifacts.services import api_key_create

    log_model(b"weights")
    return api_key_create(user=member, name="schemathesis")[1]


def test_the_schema_is_valid_openapi_and_documents_every_router(live_server):
    schema = requests.get(live_server.url + "/api/v1/openapi.json", timeout=10).json()
    # schemathesis validates against the OpenAPI meta-schema; a broken copy shows the validator is really checking.
    schemathesis.openapi.from_dict(schema).validate()
    with pytest.raises(Exception, match="paths"):
        schemathesis.openapi.from_dict({**schema, "paths": 3}).validate()
    assert "/api/v1/blobs/{digest}" in schema["paths"]
    assert "/api/v1/registry/{entity}/models/{name}/versions" in schema["paths"]
    assert requests.get(live_server.url + "/api/v1/docs", timeout=10).status_code == 200


def test_no_operation_answers_5xx_or_breaks_its_schema(live_server, member_key):
    # One test walking every operation (schemathesis' pytest loader does not run on pytest 9 yet);
    # a bounded number of examples each keeps it to seconds.
    schema = schemathesis.openapi.from_url(live_server.url + "/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case):
                case.call_and_validate(
                    base_url=live_server.url,
                    headers={"Authorization": f"Bearer {member_key}"},
                    checks=[not_a_server_error, response_schema_conformance],
                )

            try:
                check()
            except Unsatisfiable:
                # An operation with no parameters and no body has no invalid request to make.
                assert mode == GenerationMode.NEGATIVE
