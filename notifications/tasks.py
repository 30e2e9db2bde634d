"""Celery tasks: thin shells around the delivery services."""

from celery import shared_task

from notifications import services


@shared_task(name="notifications.delivery_send", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def delivery_send_task(delivery_id: int) -> str | None:
    return services.delivery_send(delivery_id=delivery_id)


@shared_task(name="notifications.deliveries_sweep", ignore_result=True)
def deliveries_sweep_task() -> int:
    return services.deliveries_sweep()
