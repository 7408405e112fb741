"""Headless Chromium: "my callbacks" on the desk shows status and attempts, cancels, and follows pushes.

Only the real web server here (no stasis worker is needed to list or cancel callbacks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from ccapp import services
from ccapp.desk.harness import WebServer
from ccapp.models import CallbackRequest, CallbackStatus
from tests.desk.conftest import Floor, make_floor
from tests.desk.test_browser import browser, pytestmark, wait  # noqa: F401

NUMBER = "+8613900139000"


@pytest.fixture
def desk_only(db) -> Iterator[tuple[Floor, WebServer]]:
    floor = make_floor()
    web = WebServer(database=connection.settings_dict["NAME"]).start()
    try:
        yield floor, web
    finally:
        web.stop()


def row(driver: Any, callback: CallbackRequest, part: str = "") -> str | None:
    """The text of the callback's row (or of `part` of it), None when it is not listed.

    Read in one script: the panel re-renders on pushes, so a found element can go stale.
    """
    return driver.execute_script(
        "const li = document.querySelector(`#my-work li[data-callback='${arguments[0]}']`);"
        "const node = li && arguments[1] ? li.querySelector(arguments[1]) : li;"
        "return node ? node.textContent : null;",
        callback.pk,
        part,
    )


def click_cancel(driver: Any, callback: CallbackRequest) -> None:
    driver.find_element(
        "css selector", f"#my-work li[data-callback='{callback.pk}'] [data-cancel-callback]"
    ).click()


def test_an_agent_cancels_a_callback_and_sees_the_others_change(desk_only) -> None:
    floor, web = desk_only
    later = timezone.now() + dt.timedelta(hours=3)
    free = services.request_callback(queue_id=floor.sales.pk, number=NUMBER)
    mine = services.request_callback(
        queue_id=floor.sales.pk, number=NUMBER, scheduled_for=later, agent_id=floor.alice.pk, note="invoice"
    )
    support = services.request_callback(queue_id=floor.support.pk, number=NUMBER)
    alice = browser(web.url, floor.alice.user)
    try:
        alice.get(f"{web.url}/desk/")
        wait(alice, lambda d: row(d, mine) is not None)
        assert "attempt 0 of 3" in row(alice, mine) and "invoice" in row(alice, mine)
        assert row(alice, mine, "[data-status]") == "Pending"

        click_cancel(alice, free)
        wait(alice, lambda d: d.find_element("id", "toast").text == "Callback cancelled")
        wait(alice, lambda d: row(d, free) is None)  # not hers: gone once it is closed
        assert CallbackRequest.objects.get(pk=free.pk).status == CallbackStatus.CANCELLED

        # A supervisor cancels Alice's promise: the push refreshes her panel, the button goes.
        services.cancel_callback(callback_id=mine.pk, user=floor.boss)
        wait(alice, lambda d: row(d, mine, "[data-status]") == "Cancelled")
        assert row(alice, mine, "[data-cancel-callback]") is None

        # One nobody pushes to her is cancelled meanwhile: her click says so and the list catches up.
        services.cancel_callback(callback_id=support.pk, user=floor.boss)
        click_cancel(alice, support)
        wait(alice, lambda d: d.find_element("id", "toast").text == "This callback is already finished.")
        wait(alice, lambda d: row(d, support) is None)
    finally:
        alice.quit()
