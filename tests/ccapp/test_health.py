"""/healthz reports each dependency."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.test import Client

from ccapp.health import ARI_STATE_KEY

pytestmark = pytest.mark.django_db


def test_it_reports_database_and_redis_up_and_no_ari_connection():
    redis.Redis.from_url(settings.REDIS_URL).delete(ARI_STATE_KEY)
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert body["ari"]["ok"] is False
    assert set(body) == {"database", "redis", "celery", "ari"}


def test_it_shows_the_ari_state_written_by_the_stasis_worker():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.hset(
        ARI_STATE_KEY, mapping={"state": "connected", "since": "2026-11-23T10:00:00Z", "app": "ccapp"}
    )
    try:
        body = Client().get("/healthz").json()
    finally:
        client.delete(ARI_STATE_KEY)
    assert body["ari"]["ok"] is True
    assert body["ari"]["app"] == "ccapp"


def test_it_answers_503_when_redis_is_down(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"]["ok"] is False
