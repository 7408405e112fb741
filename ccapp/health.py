"""Health probes of the outside systems the project depends on."""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection

ARI_STATE_KEY = "ccapp:ari:state"


def _timed(probe) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = probe()
    except Exception as exc:  # a probe reports any failure; it never raises
        return {"ok": False, "error": type(exc).__name__, "ms": _ms(started)}
    result = {"ok": True, "ms": _ms(started)}
    if isinstance(detail, dict):
        result.update(detail)
    return result


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def _redis() -> None:
    _redis_client().ping()


def _celery() -> dict[str, Any]:
    from ccapp.celery import app

    replies = app.control.ping(timeout=0.5) or []
    if not replies:
        raise RuntimeError("no worker answered")
    return {"workers": len(replies)}


def _ari() -> dict[str, Any]:
    """The stasis worker writes its ARI connection state to Redis; read it here."""
    raw = _redis_client().hgetall(ARI_STATE_KEY)
    state = {k.decode(): v.decode() for k, v in raw.items()}
    if state.get("state") != "connected":
        raise RuntimeError(state.get("state", "unknown"))
    return {"since": state.get("since", ""), "app": state.get("app", "")}


def report() -> dict[str, Any]:
    """Probe every dependency and return a JSON-ready report."""
    return {
        "database": _timed(_database),
        "redis": _timed(_redis),
        "celery": _timed(_celery),
        "ari": _timed(_ari),
    }
