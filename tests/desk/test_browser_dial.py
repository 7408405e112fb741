"""Headless Chromium: click-to-call from a customer's CRM page through the desk.

The same set-up as test_browser.py (real web server, real stasis worker, ARI simulator). The agent
clicks the customer's number on the CRM page; the link opens the desk (`?dial=`), which dials once;
the worker rings the agent's phone first and calls the customer only once the agent has answered;
the desk shows the call with the customer's card.
"""

from __future__ import annotations

from ccapp.models import AgentState, Call, CallDirection
from crm.models import Customer
from tests.desk.test_browser import browser, pytestmark, state_is, text_of, wait, world  # noqa: F401
from tests.stasis.conftest import requests_to

CUSTOMER = "+8613800138000"
TRUNK = f"PJSIP/{CUSTOMER}@carrier"


def test_an_agent_clicks_a_customers_number_and_the_desk_calls_them(world) -> None:  # noqa: F811
    floor, (loop, sim), web = world
    customer = Customer.objects.get(phones__number=CUSTOMER)
    sim.agent(floor.alice.endpoint).answer_after(0.5)
    sim.agent(TRUNK).answer_after(0.5)
    alice = browser(web.url, floor.alice.user)
    try:
        alice.get(f"{web.url}/admin/crm/customer/{customer.pk}/change/")
        link = alice.find_element("css selector", 'a[target="ccapp-desk"][href*="dial="]')
        alice.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)  # off the sticky footer
        link.click()
        wait(alice, lambda d: len(d.window_handles) == 2)  # no desk tab was open: the link opens one
        alice.switch_to.window(alice.window_handles[1])

        wait(alice, state_is(AgentState.ON_CALL), timeout=20)
        wait(alice, lambda d: "Zhang Wei" in text_of(d, "caller-name"))
        assert text_of(alice, "caller-number") == CUSTOMER
        assert alice.find_element("id", "controls").is_displayed()
        assert "dial=" not in alice.current_url  # a reload does not call again

        posts = [r for r in sim.requests if r.method == "POST"]
        originated = [
            (i, r.query["endpoint"], r.path.split("/")[2])
            for i, r in enumerate(posts)
            if r.path.startswith("/channels/") and r.query.get("endpoint")
        ]
        assert [endpoint for _, endpoint, _ in originated] == [floor.alice.endpoint, TRUNK]
        # The customer is called only once the agent has answered: the agent's leg is bridged first.
        (agent_at, _, agent_leg), (customer_at, _, _) = originated
        bridged_at = next(
            i
            for i, r in enumerate(posts)
            if r.path.endswith("/addChannel") and r.query["channel"] == agent_leg
        )
        assert agent_at < bridged_at < customer_at
        call = Call.objects.get(direction=CallDirection.OUTBOUND)
        assert (call.agent_id, call.caller, call.answered_at is not None) == (floor.alice.pk, CUSTOMER, True)

        loop.run(sim.hangup(sim.channel_of(TRUNK).id))
        wait(alice, lambda d: d.find_element("id", "state").get_attribute("data-state") != AgentState.ON_CALL)
        originates = [r for r in requests_to(sim, "POST", "/channels/") if r.query.get("endpoint")]
        assert len(originates) == 2  # dialled once
    finally:
        alice.quit()
