"""Fixtures for notifications: integrations on the shared receiver, links to notify about."""

import pytest


@pytest.fixture
def link(project, member, log_model):
    """Link a freshly logged artifact version into acme/model-registry/Nature Classifier."""
    from registry.services import model_link

    def do(content: bytes, aliases=None, user=None, name: str = "Nature Classifier"):
        version = log_model(content)
        model_version, _ = model_link(
            artifact_version=version, entity=project.entity, name=name, user=user or member, aliases=aliases
        )
        return model_version

    return do


@pytest.fixture
def slack(team, admin, receiver, webhook_settings):
    from notifications.models import Integration
    from notifications.services import integration_create

    return integration_create(
        entity=team,
        user=admin,
        name="#ml-alerts",
        kind=Integration.SLACK,
        url=receiver.url,
        events=["version.linked"],
    )


@pytest.fixture
def generic_hook(team, admin, receiver, webhook_settings):
    from notifications.models import Integration
    from notifications.services import integration_create

    return integration_create(
        entity=team,
        user=admin,
        name="deploy-bot",
        kind=Integration.WEBHOOK,
        url=receiver.url,
        events=["version.linked", "alias.moved"],
        signing_secret="s3cret",
    )
