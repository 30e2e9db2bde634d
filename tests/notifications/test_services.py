"""The delivery state machine and integration rules, called in-process against a real local receiver."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from artifacts.errors import InvalidInput, NotFound, PermissionDenied
from notifications.http import check_webhook_url
from notifications.models import Delivery, Integration
from notifications.services import delivery_send, integration_create

pytestmark = pytest.mark.embedded


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://192.168.1.20:8443/hook",
    ],
)
def test_a_webhook_url_at_a_private_address_or_a_name_resolving_to_one_is_refused(url, team, admin, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = []
    with pytest.raises(InvalidInput, match="private, loopback or link-local"):
        integration_create(
            entity=team, user=admin, name="x", kind=Integration.SLACK, url=url, events=["version.linked"]
        )
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.216.34/services/x", "must start with https://"),
        ("ftp://example.com/x", "must start with https://"),
        ("https://user:pw@example.com/x", "user name or password"),
        ("https:///nohost", "has no host"),
        ("https://example.com:99999/x", "not valid"),
        ("", "Enter the webhook URL"),
        ("https://no-such-host.invalid/x", "does not resolve"),
    ],
)
def test_a_malformed_webhook_url_is_refused_with_a_clear_message(url, message, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = []
    with pytest.raises(InvalidInput, match=message):
        check_webhook_url(url)


def test_a_host_listed_in_webhook_allow_private_may_be_plain_http(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = ["127.0.0.1"]
    assert check_webhook_url("http://127.0.0.1:9/hook") == "http://127.0.0.1:9/hook"
    with pytest.raises(InvalidInput):
        check_webhook_url("http://10.0.0.1/hook")


def test_a_url_allowed_at_save_but_private_at_send_time_is_refused_and_disables_the_integration(
    slack, receiver, link, settings, django_capture_on_commit_callbacks
):
    link(b"weights-1")
    settings.WEBHOOK_ALLOW_PRIVATE = []

    assert delivery_send(delivery_id=Delivery.objects.get().pk) == Delivery.FAILED

    assert receiver.requests == []
    slack.refresh_from_db()
    assert not slack.enabled
    assert "private, loopback or link-local" in slack.disabled_reason


def test_only_team_admins_may_manage_integrations(team, member, viewer, outsider, receiver, webhook_settings):
    for user, error in [(member, PermissionDenied), (viewer, PermissionDenied), (outsider, NotFound)]:
        with pytest.raises(error):
            integration_create(
                entity=team, user=user, name="x", kind=Integration.SLACK, url=receiver.url, events=["version.linked"]
            )
    assert not Integration.objects.exists()


def test_unknown_events_and_empty_names_are_refused(team, admin, receiver, webhook_settings):
    with pytest.raises(InvalidInput, match="Unknown event"):
        integration_create(
            entity=team, user=admin, name="x", kind=Integration.SLACK, url=receiver.url, events=["card.eaten"]
        )
    with pytest.raises(InvalidInput, match="name"):
        integration_create(
            entity=team, user=admin, name=" ", kind=Integration.SLACK, url=receiver.url, events=["version.linked"]
        )
    assert not Integration.objects.exists()


def test_a_link_writes_a_delivery_in_its_transaction_for_each_matching_enabled_integration(
    team, admin, slack, receiver, link, django_capture_on_commit_callbacks
):
    from registry.services import registered_model_create

    other_model = registered_model_create(entity=team, name="Other", user=admin)
    integration_create(
        entity=team,
        user=admin,
        name="other model only",
        kind=Integration.SLACK,
        url=receiver.url,
        events=["version.linked"],
        registered_model=other_model,
    )
    integration_create(
        entity=team, user=admin, name="aliases only", kind=Integration.SLACK, url=receiver.url, events=["alias.moved"]
    )
    disabled = integration_create(
        entity=team, user=admin, name="off", kind=Integration.SLACK, url=receiver.url, events=["version.linked"]
    )
    Integration.objects.filter(pk=disabled.pk).update(enabled=False)

    with django_capture_on_commit_callbacks() as callbacks:
        link(b"weights-1")

    delivery = Delivery.objects.get()
    assert delivery.integration == slack
    assert delivery.state == Delivery.PENDING
    assert len(callbacks) == 1


def test_a_link_that_fails_leaves_no_delivery(team, member, slack, log_model):
    from registry.services import model_link

    version = log_model(b"data", type="dataset")
    with pytest.raises(InvalidInput):
        model_link(artifact_version=version, entity=team, name="Nature Classifier", user=member)
    assert not Delivery.objects.exists()


def test_an_alias_move_tells_from_and_to_in_the_generic_body(generic_hook, receiver, link, member):
    from registry.services import registry_alias_set

    first = link(b"weights-1", aliases=["production"])
    second = link(b"weights-2")
    registry_alias_set(version=second, alias="production", user=member)

    move = Delivery.objects.filter(kind="alias.moved", event__to_version=second).get()
    assert delivery_send(delivery_id=move.pk) == Delivery.SENT
    body = receiver.bodies()[0]
    assert body["id"] == str(move.uid)
    assert body["event"] == "alias.moved"
    assert body["alias"] == "production"
    assert body["from_version"] == {"name": first.version_name}
    assert body["version"]["name"] == "v1"
    assert "production" in body["version"]["aliases"]


def test_a_generic_webhook_is_signed_with_hmac_sha256_of_the_body(generic_hook, receiver, link):
    link(b"weights-1")
    delivery = Delivery.objects.get()

    assert delivery_send(delivery_id=delivery.pk) == Delivery.SENT

    request = receiver.requests[0]
    expected = hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Registry-Signature"] == f"sha256={expected}"
    assert request["headers"]["X-Registry-Event-Id"] == str(delivery.uid)
    assert json.loads(request["body"])["registered_model"]["name"] == "Nature Classifier"


def test_a_sent_delivery_is_never_sent_again(slack, receiver, link):
    from notifications.services import deliveries_sweep

    link(b"weights-1")
    delivery = Delivery.objects.get()

    assert delivery_send(delivery_id=delivery.pk) == Delivery.SENT
    assert delivery_send(delivery_id=delivery.pk) is None
    assert deliveries_sweep() == 0
    assert len(receiver.requests) == 1


def test_a_429_waits_for_retry_after_then_sends(slack, receiver, link):
    receiver.script = [(429, {"Retry-After": "1"})]
    link(b"weights-1")
    delivery = Delivery.objects.get()

    before = timezone.now()
    assert delivery_send(delivery_id=delivery.pk) == Delivery.PENDING
    delivery.refresh_from_db()
    assert delivery.last_status == 429
    assert delivery.next_attempt_at >= before + timedelta(seconds=1)
    # Not due yet: a worker picking it up early leaves it alone.
    assert delivery_send(delivery_id=delivery.pk) is None

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=delivery.pk) == Delivery.SENT
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_a_4xx_other_than_429_fails_at_once_and_a_slack_404_disables_the_integration(slack, receiver, link):
    receiver.script = [404]
    link(b"weights-1")
    delivery = Delivery.objects.get()

    assert delivery_send(delivery_id=delivery.pk) == Delivery.FAILED

    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status) == (1, 404)
    slack.refresh_from_db()
    assert not slack.enabled
    assert "HTTP 404" in slack.disabled_reason


def test_a_generic_webhook_answering_400_fails_the_delivery_but_stays_enabled(generic_hook, receiver, link):
    receiver.script = [400]
    link(b"weights-1")

    assert delivery_send(delivery_id=Delivery.objects.get().pk) == Delivery.FAILED

    generic_hook.refresh_from_db()
    assert generic_hook.enabled
    assert generic_hook.last_error == "HTTP 400: ok"


def test_a_delivery_whose_worker_died_is_swept_back_to_pending_once_its_lease_expired(slack, receiver, link):
    from notifications.services import deliveries_sweep

    link(b"weights-1")
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.SENDING, attempts=1, lease_until=timezone.now() + timedelta(minutes=1)
    )
    deliveries_sweep()
    assert Delivery.objects.get().state == Delivery.SENDING

    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    deliveries_sweep()

    delivery.refresh_from_db()
    assert delivery.state == Delivery.PENDING
    assert delivery_send(delivery_id=delivery.pk) == Delivery.SENT


def test_aliases_given_with_a_new_link_are_told_in_the_link_message_only(generic_hook, link, member):
    from registry.services import registry_alias_set

    first = link(b"weights-1", aliases=["staging"])
    assert list(Delivery.objects.values_list("kind", flat=True)) == ["version.linked"]
    second = link(b"weights-2")
    registry_alias_set(version=first, alias="production", user=member)
    registry_alias_set(version=second, alias="staging", user=member)
    kinds = list(Delivery.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["version.linked", "version.linked", "alias.moved", "alias.moved"]


def test_an_integration_for_alias_moves_only_hears_of_aliases_given_with_a_link(
    team, admin, receiver, webhook_settings, link
):
    integration = integration_create(
        entity=team, user=admin, name="aliases", kind=Integration.SLACK, url=receiver.url, events=["alias.moved"]
    )
    link(b"weights-1", aliases=["staging"])
    assert list(Delivery.objects.filter(integration=integration).values_list("kind", flat=True)) == ["alias.moved"]
