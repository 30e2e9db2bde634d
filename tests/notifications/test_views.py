"""The integration pages and the development receiver: roles, forms, HTMX and plain requests."""

import pytest
from django.urls import reverse

from notifications.models import Delivery, Integration, ReceivedWebhook

pytestmark = pytest.mark.embedded


def test_an_admin_creates_an_integration_and_sees_its_url_masked(client, admin, team, receiver, webhook_settings):
    client.force_login(admin)
    response = client.post(
        reverse("notifications:integration_list", args=["acme"]),
        {"name": "#ml", "kind": "slack", "url": receiver.url, "events": ["version.linked", "alias.moved"]},
    )

    integration = Integration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:integration_detail", args=["acme", integration.pk])
    assert integration.events == ["alias.moved", "version.linked"]
    page = client.get(response["Location"]).content.decode()
    assert integration.url_masked in page
    assert receiver.url not in page


def test_a_private_webhook_url_is_a_form_error_and_nothing_is_saved(client, admin, team, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = []
    client.force_login(admin)
    response = client.post(
        reverse("notifications:integration_list", args=["acme"]),
        {"name": "#ml", "kind": "slack", "url": "https://10.0.0.1/hook", "events": ["version.linked"]},
    )
    assert response.status_code == 200
    assert "private, loopback or link-local" in response.content.decode()
    assert not Integration.objects.exists()


def test_a_form_without_events_is_refused(client, admin, team, receiver, webhook_settings):
    client.force_login(admin)
    response = client.post(
        reverse("notifications:integration_list", args=["acme"]), {"name": "#ml", "kind": "slack", "url": receiver.url}
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Integration.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("viewer", 403), ("outsider", 404)])
def test_only_admins_see_integration_pages(who, status, request, client, slack):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("notifications:integration_list", args=["acme"])).status_code == status
    assert client.get(reverse("notifications:integration_detail", args=["acme", slack.pk])).status_code == status
    assert client.post(reverse("notifications:integration_delete", args=["acme", slack.pk])).status_code == status
    assert Integration.objects.filter(pk=slack.pk).exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, slack):
    response = client.get(reverse("notifications:integration_list", args=["acme"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("artifacts:login"))


def test_an_integration_of_another_entity_is_not_found(client, admin, slack, make_user):
    from artifacts.services import team_create

    other_admin = make_user("olga")
    team_create(name="other", admin=other_admin)
    client.force_login(other_admin)
    assert client.get(reverse("notifications:integration_detail", args=["other", slack.pk])).status_code == 404


def test_the_htmx_test_button_reports_success_inline(client, admin, slack, receiver):
    client.force_login(admin)
    response = client.post(
        reverse("notifications:integration_test", args=["acme", slack.pk]), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith('<div id="test-result">')
    assert "Test message sent (HTTP 200)" in body
    assert response["HX-Trigger"] == "deliveryTested"
    assert receiver.bodies()[0]["text"] == "Test message from the model registry for acme"
    assert Delivery.objects.get().is_test


def test_the_test_button_reports_a_failure_and_marks_the_integration_failing(client, admin, slack, receiver):
    receiver.script = [500]
    client.force_login(admin)
    response = client.post(
        reverse("notifications:integration_test", args=["acme", slack.pk]), headers={"HX-Request": "true"}
    )
    assert "The test message failed: HTTP 500" in response.content.decode()
    assert len(receiver.requests) == 1
    page = client.get(reverse("notifications:integration_detail", args=["acme", slack.pk])).content.decode()
    assert "Failing: HTTP 500" in page


def test_the_plain_test_button_redirects_with_a_message(client, admin, slack, receiver):
    client.force_login(admin)
    response = client.post(reverse("notifications:integration_test", args=["acme", slack.pk]), follow=True)
    assert "Test message sent." in response.content.decode()


def test_an_admin_disables_enables_and_deletes_an_integration(client, admin, slack):
    client.force_login(admin)
    client.post(reverse("notifications:integration_enabled", args=["acme", slack.pk]))
    slack.refresh_from_db()
    assert not slack.enabled
    client.post(reverse("notifications:integration_enabled", args=["acme", slack.pk]), {"enabled": "on"})
    slack.refresh_from_db()
    assert slack.enabled
    response = client.post(reverse("notifications:integration_delete", args=["acme", slack.pk]))
    assert response.status_code == 302
    assert not Integration.objects.exists()


def test_editing_keeps_the_saved_url_when_the_field_is_left_empty(client, admin, slack, receiver):
    client.force_login(admin)
    response = client.post(
        reverse("notifications:integration_edit", args=["acme", slack.pk]),
        {"name": "renamed", "url": "", "events": ["alias.moved"]},
    )
    assert response.status_code == 302
    slack.refresh_from_db()
    assert (slack.name, slack.url, slack.events) == ("renamed", receiver.url, ["alias.moved"])


def test_the_detail_page_issues_a_fixed_number_of_queries_whatever_the_deliveries(
    client, admin, slack, django_assert_max_num_queries
):
    from django.utils import timezone

    client.force_login(admin)
    url = reverse("notifications:integration_detail", args=["acme", slack.pk])
    Delivery.objects.bulk_create(
        [Delivery(integration=slack, kind="version.linked", payload={}, next_attempt_at=timezone.now())]
    )
    with django_assert_max_num_queries(8):
        client.get(url)
    Delivery.objects.bulk_create(
        [
            Delivery(integration=slack, kind="version.linked", payload={}, next_attempt_at=timezone.now())
            for _ in range(60)
        ]
    )
    with django_assert_max_num_queries(8):
        page = client.get(url).content.decode()
    assert "Page 1 of 3" in page


def test_the_dev_receiver_records_posts_and_lists_them_to_signed_in_users_with_debug(db, client, settings, make_user):
    settings.DEBUG = False
    assert client.post("/dev/webhooks/", b"{}", content_type="application/json").status_code == 404

    settings.DEBUG = True
    response = client.post("/dev/webhooks/", b'{"text": "New version v3"}', content_type="application/json")
    assert response.status_code == 200
    assert ReceivedWebhook.objects.count() == 1
    assert client.get("/dev/webhooks/")["Location"] == "/login/?next=/dev/webhooks/"
    client.force_login(make_user("dora"))
    assert "New version v3" in client.get("/dev/webhooks/").content.decode()


def test_the_dev_receiver_keeps_only_the_newest_posts(db, client, settings):
    from notifications.models import ReceivedWebhook

    settings.DEBUG = True
    settings.DEV_RECEIVER_KEEP = 3
    for n in range(5):
        assert client.post("/dev/webhooks/", f'{{"n": {n}}}', content_type="application/json").status_code == 200
    assert sorted(ReceivedWebhook.objects.values_list("body", flat=True)) == ['{"n": 2}', '{"n": 3}', '{"n": 4}']
