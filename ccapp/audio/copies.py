"""Asking Celery to copy recordings: one message a second for all of them, not one per recording.

The Stasis worker finishes a recording with nearly every call; a Celery message per recording cost it
more CPU than the rest of the recording's handling. The batch task fans the copies out in the Celery
worker instead. A batch lost with its process (a restart within the second) is copied by the sweep.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

BATCH_SECONDS = 1.0

_pending: list[int] = []
_lock = threading.Lock()
_timer: threading.Timer | None = None


def request(recording_id: int) -> None:
    """Copy this recording soon: within about a second, together with the others asked for meanwhile."""
    global _timer
    with _lock:
        _pending.append(recording_id)
        if _timer is None:
            _timer = threading.Timer(BATCH_SECONDS, flush)
            _timer.daemon = True
            _timer.start()


def flush() -> list[int]:
    """Send the waiting requests now, as one task; the ids sent."""
    global _timer
    with _lock:
        ids = list(_pending)
        _pending.clear()
        if _timer is not None:
            _timer.cancel()
            _timer = None
    if ids:
        from ccapp.tasks import fetch_recordings

        try:
            fetch_recordings.delay(ids)
        except Exception:  # the broker is away: the sweep copies them later
            log.exception("could not ask for the copy of %d recordings", len(ids))
    return ids
