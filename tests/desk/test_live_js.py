"""static/desk/live.js against its reference, ccapp/selectors_live.py, in headless Chromium.

The page's reducers run on the same snapshot and frames as the Python ones and must give the same
screen; the frames cross the center's midnight (the figures of the day start again).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from ccapp import selectors_live
from tests.desk.test_browser import CHROMIUM, DRIVER, chromium

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason="needs Debian's chromium and chromedriver (make test installs them)",
)

LIVE_JS = Path(settings.BASE_DIR) / "static" / "desk" / "live.js"
# live.js reads these two elements of the desk's page when it loads.
PAGE = "data:text/html," + quote(
    '<script id="desk-texts" type="application/json">{}</script>'
    '<script id="desk-build" type="application/json">"test"</script>'
)
DAY, NEXT = "2026-10-05", "2026-10-06"
EVENING, MORNING = "2026-10-05T15:59:58+00:00", "2026-10-05T16:00:05+00:00"


def frame(event: str, day: str, **data: Any) -> dict[str, Any]:
    at = EVENING if day == DAY else MORNING
    return {"type": "event", "event": event, "data": data, "at": at, "day": day}


DESK = {
    "today": {"day": DAY, "until": "2026-10-05T16:00:00+00:00"},
    "agent": {"id": 7, "name": "Alice", "extension": "1001", "state": "ready", "reason": "", "call_id": None,
              "since": EVENING},
    "queues": [{"id": 1, "name": "Sales", "logged_in": True}],
    "counters": {"calls": 4, "talk_seconds": 600.5, "missed": 1},
    "call": None,
}  # fmt: skip
POP = {"call_id": 11, "agent_id": 7, "caller": "+8613800138000", "customer": None, "ended": False}
DESK_FRAMES = [
    frame("agent_state_changed", DAY, agent_id=7, state="on_call", reason="", call_id=11),
    {**frame("call_answered", DAY, call_id=11, agent_id=7), "call": POP},
    frame("call_ended", NEXT, call_id=11, queue_id=1, agent_id=7, outcome="answered", talk_seconds=12.5),
    frame("agent_state_changed", NEXT, agent_id=7, state="paused", reason="missed_call", call_id=None),
]
GAVE_UP = {"queue_id": 1, "agent_id": None, "outcome": "abandoned_queue", "talk_seconds": 0}
QUEUE = {"id": 1, "name": "Sales", "sl_target_seconds": 20, "sl_target_percent": 80}
BOARD = {
    "today": {"day": DAY, "until": "2026-10-05T16:00:00+00:00"},
    "queues": {"1": {**QUEUE, "offered": 5, "answered": 3, "abandoned": 1, "answered_in_sl": 2,
                     "wait_sum": 30.5}},
    "agents": {},
    "calls": {"21": {"id": 21, "caller": "+8613700137000", "queue_id": 1, "answered": False, "vip": False,
                     "queued_at": EVENING, "queued_day": DAY}},
}  # fmt: skip
BOARD_FRAMES = [
    frame("call_started", DAY, call_id=22, caller="+8613900139000", vip=False),
    frame("call_queued", DAY, call_id=22, caller="+8613900139000", vip=False, queue_id=1),
    frame("call_ended", NEXT, call_id=21, **GAVE_UP),
    frame("call_answered", NEXT, call_id=22, queue_id=1, caller="+8613900139000", customer=None,
          wait_seconds=9),
    frame("call_started", NEXT, call_id=23, caller="+8613600136000", vip=True),
    frame("call_queued", NEXT, call_id=23, caller="+8613600136000", vip=True, queue_id=1),
    frame("call_ended", NEXT, call_id=23, **GAVE_UP),
]  # fmt: skip


@pytest.fixture(scope="module")
def page() -> Any:
    driver = chromium()
    driver.get(PAGE)
    yield driver
    driver.quit()


def run_js(page: Any, reducer: str, state: dict[str, Any], frames: list[dict[str, Any]]) -> dict[str, Any]:
    """The state after `frames`, by live.js's `reducer` in the browser."""
    script = LIVE_JS.read_text() + f"\nreturn arguments[1].reduce((s, f) => {reducer}(s, f), arguments[0]);"
    return page.execute_script(script, copy.deepcopy(state), frames)


def run_python(apply: Any, state: dict[str, Any], frames: list[dict[str, Any]]) -> dict[str, Any]:
    for item in frames:
        state = apply(state, item)
    return state


def test_the_desks_counters_start_again_with_the_first_frame_of_the_next_day(page) -> None:
    want = run_python(selectors_live.apply_desk_frame, DESK, DESK_FRAMES)
    assert want["today"] == {"day": NEXT, "until": None}
    assert want["counters"] == {"calls": 0, "talk_seconds": 12.5, "missed": 1}
    assert run_js(page, "applyDeskFrame", DESK, DESK_FRAMES) == want
    assert run_js(page, "applyDeskFrame", DESK, DESK_FRAMES[:2])["counters"]["calls"] == 5


def test_the_wallboards_figures_count_only_calls_queued_on_the_day_they_show(page) -> None:
    want = run_python(selectors_live.apply_wallboard_frame, BOARD, BOARD_FRAMES)
    # Yesterday's callers (21 gave up, 22 was answered) are not today's; 23 queued and gave up today.
    figures = {k: want["queues"]["1"][k] for k in ("offered", "answered", "abandoned", "answered_in_sl")}
    assert figures == {"offered": 1, "answered": 0, "abandoned": 1, "answered_in_sl": 0}
    assert want["calls"]["22"]["answered"] is True and "23" not in want["calls"]
    assert run_js(page, "applyWallboardFrame", BOARD, BOARD_FRAMES) == want
    assert run_js(page, "applyWallboardFrame", BOARD, BOARD_FRAMES[:2])["queues"]["1"]["offered"] == 6
