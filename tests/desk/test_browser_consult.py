"""Headless Chromium: an attended transfer from the desk (consult the colleague, then complete).

The same set-up as test_browser.py (real web server, real stasis worker, ARI simulator). The first
agent consults the second, who sees the caller's card and who is consulting them; the first agent
completes, the second agent's screen pops with the note. A screenshot goes to docs/screenshots/.
"""

from __future__ import annotations

from ccapp.models import AgentState, Call, CallOutcome
from tests.desk.test_browser import SHOTS, browser, pytestmark, state_is, text_of, wait, world  # noqa: F401


def test_an_agent_consults_a_colleague_then_completes_the_transfer(world) -> None:  # noqa: F811
    from selenium.webdriver.support.ui import Select

    floor, (loop, sim), web = world
    alice, bob = (browser(web.url, u) for u in (floor.alice.user, floor.bob.user))
    try:
        for driver in (alice, bob):
            driver.get(f"{web.url}/desk/")
            driver.find_element("id", "btn-ready").click()
            wait(driver, state_is("ready"))
        sim.agent(floor.alice.endpoint).answer_after(0.5)
        sim.agent(floor.bob.endpoint).answer_after(0.5)
        caller = loop.run(sim.dial("4200", caller="13800138000"))
        loop.run(sim.wait_for_event("PlaybackStarted"))
        loop.run(sim.press(caller, "1"))
        wait(alice, state_is("on_call"))
        wait(alice, lambda d: d.find_element("id", "controls").is_displayed())  # with the answer's pop

        bob_option = f'#transfer-agent option[value="{floor.bob.pk}"]'
        wait(alice, lambda d: d.find_elements("css selector", bob_option))
        form = alice.find_element("id", "transfer")
        Select(form.find_element("name", "kind")).select_by_value("attended")
        Select(alice.find_element("id", "transfer-agent")).select_by_value(str(floor.bob.pk))
        alice.find_element("id", "transfer-note").send_keys("wants a refund")
        alice.find_element("id", "btn-transfer").click()

        wait(alice, lambda d: "Talking to" in text_of(d, "consult-text"))
        wait(bob, lambda d: "is consulting you" in text_of(d, "party"))
        wait(bob, lambda d: "Zhang Wei" in text_of(d, "caller-name"))  # the card comes with call_joined
        assert not bob.find_element("id", "controls").is_displayed()  # not bob's call to control yet
        alice.save_screenshot(str(SHOTS / "desk-consult.png"))

        alice.find_element("id", "btn-complete").click()
        wait(bob, lambda d: "wants a refund" in text_of(d, "note"))
        wait(bob, lambda d: d.find_element("id", "controls").is_displayed())
        wait(alice, state_is("wrap_up"))
        first = Call.objects.get(parent__isnull=True, caller="+8613800138000")
        assert first.outcome == CallOutcome.TRANSFERRED
        assert Call.objects.get(parent=first).agent_id == floor.bob.pk
        loop.run(sim.hangup(caller))
        wait(bob, state_is(AgentState.WRAP_UP))  # wraps up in the original queue
    finally:
        for driver in (alice, bob):
            driver.quit()
