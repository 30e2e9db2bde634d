"""Deliveries end to end: a real Celery worker on Redis posting to a real local HTTP receiver."""

from notifications.models import Delivery
from tests.support import wait_for


def test_a_link_sends_exactly_one_slack_message_with_the_facts(worker, receiver, slack, link, member):
    model_version = link(b"weights-1", aliases=["staging"])

    wait_for(lambda: Delivery.objects.filter(state=Delivery.SENT).exists(), message="the delivery to be sent")
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1
    assert delivery.event.version_id == model_version.pk
    assert len(receiver.requests) == 1
    message = receiver.bodies()[0]
    assert message["text"] == "New version v0 of Nature Classifier"
    text = str(message["blocks"])
    assert "*bob* linked" in text
    assert "`staging`" in text
    assert "`latest`" in text
    assert "nature/nature-ckpt:v0" in text
    assert message["blocks"][-1]["elements"][0]["url"] == (
        "http://127.0.0.1:8000/acme/model-registry/Nature%20Classifier/"
    )


def test_a_receiver_answering_500_twice_gets_the_message_on_the_third_attempt(worker, receiver, slack, link):
    receiver.script = [500, 500]

    link(b"weights-1")

    wait_for(lambda: Delivery.objects.filter(state=Delivery.SENT).exists(), message="the delivery to be sent")
    delivery = Delivery.objects.get()
    assert delivery.attempts == 3
    assert delivery.last_status == 200
    assert [r["status"] for r in receiver.requests] == [500, 500, 200]
    assert len(receiver.answered(200)) == 1


def test_a_receiver_down_for_the_whole_window_fails_the_delivery_after_the_limit_and_the_page_shows_it(
    worker, team, admin, link, webhook_settings, client
):
    import socket

    from notifications.models import Integration
    from notifications.services import integration_create

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    integration = integration_create(
        entity=team,
        user=admin,
        name="nobody home",
        kind=Integration.SLACK,
        url=f"http://127.0.0.1:{dead_port}/hook",
        events=["version.linked"],
    )

    link(b"weights-1")

    wait_for(lambda: Delivery.objects.filter(state=Delivery.FAILED).exists(), message="the delivery to fail")
    delivery = Delivery.objects.get()
    assert delivery.attempts == 3
    assert "Could not connect" in delivery.last_error
    client.force_login(admin)
    page = client.get(f"/acme/integrations/{integration.pk}/").content.decode()
    assert "Failing" in page
    assert "failed" in page
    assert "Could not connect" in page


def test_a_link_made_while_the_broker_is_unreachable_succeeds_and_the_sweep_delivers_it(
    worker, receiver, slack, log_model, project, member
):
    from notifications.tasks import deliveries_sweep_task
    from registry.models import ModelVersion
    from tests.support import run_web_process

    version = log_model(b"weights-1")
    # A web node whose broker is down (nothing listens on port 1): the link must still commit.
    result = run_web_process(
        "from artifacts.models import ArtifactVersion, Entity\n"
        "from django.contrib.auth import get_user_model\n"
        "from registry.services import model_link\n"
        f"version = ArtifactVersion.objects.get(pk={version.pk})\n"
        "user = get_user_model().objects.get(username='bob')\n"
        "model_link(artifact_version=version, entity=Entity.objects.get(name='acme'), "
        "name='Nature Classifier', user=user)\n",
        broker_url="redis://127.0.0.1:1/3",
    )
    assert result.returncode == 0, result.stderr
    assert "Could not queue delivery" in result.stderr
    assert ModelVersion.objects.count() == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (Delivery.PENDING, 0)

    deliveries_sweep_task.delay()

    wait_for(lambda: Delivery.objects.filter(state=Delivery.SENT).exists(), message="the sweep to deliver")
    assert len(receiver.requests) == 1
    assert receiver.bodies()[0]["text"] == "New version v0 of Nature Classifier"


def test_a_worker_killed_in_the_middle_of_a_send_delivers_after_restart_once(worker, receiver, generic_hook, link):
    from notifications.services import deliveries_sweep

    receiver.script = ["stall"]
    link(b"weights-1")
    wait_for(lambda: receiver.requests, message="the first request to arrive")
    assert Delivery.objects.get().state == Delivery.SENDING

    worker.kill()
    worker.start()

    def swept_and_sent():
        deliveries_sweep()
        return Delivery.objects.filter(state=Delivery.SENT).exists()

    wait_for(swept_and_sent, interval=0.5, message="the delivery to be sent again after the lease expired")
    delivery = Delivery.objects.get()
    assert delivery.attempts == 2
    answered = receiver.answered(200)
    assert len(answered) == 1
    assert answered[0]["id"] == str(delivery.uid)
    # The stalled request and the resend carry the same event id, so a receiver can de-duplicate them.
    assert {r["headers"]["X-Registry-Event-Id"] for r in receiver.requests} == {str(delivery.uid)}
    # A sent delivery is never queued again.
    assert deliveries_sweep() == 0


def test_fifty_links_in_parallel_become_fifty_distinct_messages_none_twice(
    worker, receiver, slack, log_model, project, member
):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from registry.services import model_link

    versions = [log_model(f"weights-{i}".encode()) for i in range(50)]

    def link_one(version):
        try:
            return model_link(artifact_version=version, entity=project.entity, name="Nature Classifier", user=member)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        links = list(pool.map(link_one, versions))

    assert sorted(link.index for link, _ in links) == list(range(50))
    wait_for(lambda: Delivery.objects.filter(state=Delivery.SENT).count() == 50, timeout=60, message="50 deliveries")
    assert Delivery.objects.count() == 50
    titles = [body["text"] for body in receiver.bodies()]
    assert len(titles) == 50
    assert set(titles) == {f"New version v{i} of Nature Classifier" for i in range(50)}
