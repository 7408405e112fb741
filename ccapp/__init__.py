"""ccapp: an open-source call center on Asterisk ARI and Django."""

from ccapp.celery import app as celery_app

__all__ = ["celery_app"]
