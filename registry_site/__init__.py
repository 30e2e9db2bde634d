"""The Django project; importing it loads the Celery app so tasks bind to it."""

from registry_site.celery import app as celery_app

__all__ = ["celery_app"]
