"""The one outbound HTTP function: its deadline bounds the whole exchange, and error bodies are read in part."""

import time

import pytest

from notifications.http import ERROR_BODY_BYTES, TransportError, post_json
from notifications.models import Delivery
from notifications.services import deliveries_sweep, delivery_send

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_a_receiver_that_trickles_its_answer_does_not_hold_the_send(receiver, webhook_settings):
    webhook_settings.WEBHOOK_TIMEOUT = 1.0
    receiver.script = [("trickle", 200, 10)]  # 200 at once, then a body for ten seconds
    started = time.monotonic()
    response = post_json(receiver.url, b"{}")
    assert response.status == 200
    assert time.monotonic() - started < 8  # well before the trickle ends: the deadline holds, not the receiver


def test_a_receiver_that_never_answers_is_a_timeout_within_the_deadline(receiver, webhook_settings):
    webhook_settings.WEBHOOK_TIMEOUT = 1.0
    receiver.script = ["stall"]
    with pytest.raises(TransportError, match=r"^No answer within 1 s.$"):
        post_json(receiver.url, b"{}")


def test_a_trickled_error_body_is_cut_at_the_deadline(receiver, webhook_settings):
    webhook_settings.WEBHOOK_TIMEOUT = 1.0
    receiver.script = [("trickle", 500, 10)]
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"^No answer within 1 s.$"):
        post_json(receiver.url, b"{}")
    assert time.monotonic() - started < 8


def test_only_the_start_of_a_large_error_body_is_read(receiver, webhook_settings):
    receiver.script = [("large", 500, 50)]
    response = post_json(receiver.url, b"{}")
    assert response.status == 500 and len(response.text) == ERROR_BODY_BYTES


def test_a_slow_receiver_gets_one_message_and_the_sweep_sends_no_other(slack, receiver, link, webhook_settings):
    webhook_settings.WEBHOOK_TIMEOUT = 1.0
    webhook_settings.DELIVERY_LEASE_MARGIN_SECONDS = 0.5
    receiver.script = [("trickle", 200, 10)]
    link(b"weights-1")
    delivery = Delivery.objects.get()
    assert delivery_send(delivery_id=delivery.pk) == Delivery.SENT
    assert deliveries_sweep() == 0
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, len(receiver.requests)) == (Delivery.SENT, 1, 1)


def test_a_test_message_is_never_resent_by_the_sweep(slack, receiver, admin, webhook_settings):
    from django.utils import timezone

    from notifications.services import integration_send_test

    receiver.script = ["stall"]
    webhook_settings.WEBHOOK_TIMEOUT = 0.5
    delivery = integration_send_test(integration=slack, user=admin)
    assert delivery.state == Delivery.FAILED
    # A test row a dead request left in `sending` is failed by the sweep, not sent again.
    Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.SENDING, lease_until=timezone.now())
    assert deliveries_sweep() == 0
    delivery.refresh_from_db()
    assert delivery.state == Delivery.FAILED and len(receiver.requests) == 1


@pytest.mark.parametrize(
    "url", ["https://example.com/ok\r\nX-Evil: 1", "https://example.com/o k", "https://exa\tmple.com/"]
)
def test_a_webhook_url_with_spaces_or_control_characters_is_refused(url):
    from artifacts.errors import InvalidInput
    from notifications.http import check_webhook_url

    with pytest.raises(InvalidInput, match="may not contain spaces or control characters"):
        check_webhook_url(url)
