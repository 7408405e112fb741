"""The Celery application of ccapp (worker and beat)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccapp.settings")

app = Celery("ccapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
