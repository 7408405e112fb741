"""Headless Chromium against the real web server, the real stasis worker and the ARI simulator.

An agent goes ready, a caller walks the IVR and queues, the agent's screen pops with the right
customer, the agent holds and transfers to a second agent whose screen shows the note, the second
agent wraps up with a disposition and a ticket, the wallboard counts it and a listen makes a snoop.
Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from ccapp.ari.simulator.server import Simulator
from ccapp.desk.harness import LoopThread, WebServer
from ccapp.models import Call, InboundRoute, IVRFlow
from tests.desk.conftest import Floor, make_floor, session_cookie
from tests.stasis.conftest import FACTOR, requests_to, start_worker, stop_worker

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
MENU = {
    "start": "menu",
    "nodes": {
        "menu": {"type": "menu", "prompt": {"sound": "press-1"}, "options": {"1": "sales"}, "timeout": 5,
                 "retries": 1, "on_fail": "bye"},
        "sales": {"type": "queue", "queue": "sales"},
        "bye": {"type": "hangup"},
    },
}  # fmt: skip
SUPERVISOR_PHONE = "PJSIP/1009"
CHROMIUM_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--window-size=1280,900", "--lang=en-US",
)  # fmt: skip

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
        reason="needs Debian's chromium and chromedriver (make test installs them)",
    ),
]


def chromium() -> Any:
    """A headless Chromium driven by selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(DRIVER))


def browser(base: str, user: Any) -> Any:
    driver = chromium()
    driver.get(f"{base}/healthz")
    name, value = session_cookie(user).split("=", 1)
    driver.add_cookie({"name": name, "value": value, "path": "/"})
    return driver


def wait(driver: Any, condition: Any, timeout: float = 10.0) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def text_of(driver: Any, element_id: str) -> str:
    return driver.find_element("id", element_id).text


def state_is(state: str):
    return lambda d: d.find_element("id", "state").get_attribute("data-state") == state


@pytest.fixture
def world(db) -> Iterator[tuple[Floor, Any, Any]]:
    from crm.kb.services import save_article
    from crm.services import create_customer

    floor = make_floor()
    floor.sales.members.remove(floor.bob)  # bob only gets calls by transfer
    flow = IVRFlow.objects.create(name="Hotline", code="hotline", graph=MENU)
    InboundRoute.objects.create(dnis="4200", name="hotline", flow=flow)
    create_customer(name="Zhang Wei 张伟", phones=["13800138000"], vip_level=2, tags=["gold"])
    body = "<p>What the sales line can do about refunds and orders.</p>"
    save_article(title="Sales hotline: refunds", body=body, language="en", status="published")
    loop = LoopThread()
    sim = loop.run(Simulator.start(time_factor=FACTOR))
    client, app = loop.run(start_worker(sim))
    web = WebServer(database=connection.settings_dict["NAME"]).start()
    try:
        yield floor, (loop, sim), web
    finally:
        web.stop()
        loop.run(stop_worker(client, app))
        loop.run(sim.stop())
        loop.stop()


def test_an_agent_takes_a_call_holds_transfers_and_the_second_agent_wraps_up(world) -> None:
    floor, (loop, sim), web = world
    alice, bob, boss = (browser(web.url, u) for u in (floor.alice.user, floor.bob.user, floor.boss))
    try:
        for driver in (alice, bob):
            driver.get(f"{web.url}/desk/")
            driver.find_element("id", "btn-ready").click()
            wait(driver, state_is("ready"))
        boss.get(f"{web.url}/wallboard/")
        wait(boss, lambda d: d.find_elements("css selector", f'tr[data-agent="{floor.bob.pk}"]'))

        sim.agent(floor.alice.endpoint).answer_after(0.5)
        sim.agent(floor.bob.endpoint).answer_after(0.5)
        sim.agent(SUPERVISOR_PHONE).answer_after(0.2)
        caller = loop.run(sim.dial("4200", caller="13800138000"))
        loop.run(sim.wait_for_event("PlaybackStarted"))
        loop.run(sim.press(caller, "1"))

        wait(alice, state_is("on_call"))
        wait(alice, lambda d: "Zhang Wei" in text_of(d, "caller-name"))
        assert alice.find_element("id", "vip").is_displayed()
        assert "hotline" in text_of(alice, "call-meta").lower() or "menu" in text_of(alice, "call-meta")
        wait(alice, lambda d: "Sales hotline: refunds" in text_of(d, "kb-suggested"))  # from the queue
        alice.save_screenshot(str(SHOTS / "desk-screen-pop.png"))

        alice.find_element("id", "btn-hold").click()
        wait(alice, lambda d: "hold" in text_of(d, "flags").lower())
        alice.find_element("id", "btn-hold").click()  # again: the worker refuses, the screen says why
        wait(alice, lambda d: "already on hold" in text_of(d, "toast"))

        from selenium.webdriver.support.ui import Select

        wait(
            alice,
            lambda d: d.find_elements("css selector", f'#transfer-agent option[value="{floor.bob.pk}"]'),
        )
        Select(alice.find_element("id", "transfer-agent")).select_by_value(str(floor.bob.pk))
        alice.find_element("id", "transfer-note").send_keys("wants a refund")
        alice.find_element("id", "btn-transfer").click()

        wait(bob, state_is("on_call"))
        wait(bob, lambda d: "wants a refund" in text_of(d, "note"))
        wait(bob, lambda d: "Zhang Wei" in text_of(d, "caller-name"))
        bob.save_screenshot(str(SHOTS / "desk-transfer-note.png"))

        Select(bob.find_element("id", "disposition")).select_by_value("solved")
        bob.find_element("id", "wrapup-notes").send_keys("refund promised")
        bob.find_element("id", "btn-wrapup").click()
        bob.find_element("id", "ticket-subject").send_keys("Refund request")
        bob.find_element("id", "btn-ticket").click()
        wait(bob, lambda d: "created" in text_of(d, "toast").lower())

        sales_answered = f'tr[data-queue="{floor.sales.pk}"] [data-testid="answered"]'
        wait(boss, lambda d: d.find_element("css selector", sales_answered).text == "1")
        wait(boss, lambda d: d.find_elements("css selector", f'[data-testid="listen-{floor.bob.pk}"]'))
        boss.find_element("id", "monitor-endpoint").send_keys(SUPERVISOR_PHONE)
        boss.save_screenshot(str(SHOTS / "wallboard.png"))
        boss.find_element("css selector", f'[data-testid="listen-{floor.bob.pk}"]').click()
        loop.run(sim.wait_for(lambda: requests_to(sim, "POST", "/snoop"), timeout=10))

        transferred = Call.objects.get(parent__isnull=False)
        assert (transferred.agent_id, transferred.disposition.code) == (floor.bob.pk, "solved")
        assert transferred.tickets.count() == 1
        loop.run(sim.hangup(caller))
        wait(bob, lambda d: d.find_element("id", "state").get_attribute("data-state") in ("ready", "wrap_up"))
    finally:
        for driver in (alice, bob, boss):
            driver.quit()
