"""Wrap-up with a required disposition: the agent stays in wrap-up until it is saved."""

from __future__ import annotations

import pytest

from ccapp import services
from ccapp.models import Agent, AgentState, Queue
from ccapp.services import desk as desk_services
from tests.desk.conftest import Floor
from tests.desk.test_consumers import live_call

pytestmark = pytest.mark.django_db


def state_of(agent: Agent) -> tuple[str, str]:
    agent.refresh_from_db()
    return agent.state, agent.state_reason


def ended_call(floor: Floor, queue: Queue) -> int:
    call = live_call(floor.alice, queue)
    services.finish_call(call_id=call.pk)
    return call.pk


def test_it_holds_the_agent_in_wrap_up_on_a_queue_without_wrap_up_time_until_the_disposition(
    floor: Floor,
) -> None:
    call_id = ended_call(floor, floor.support)  # no wrap-up time, disposition required
    assert state_of(floor.alice)[0] == AgentState.WRAP_UP
    desk_services.save_wrapup(agent_id=floor.alice.pk, call_id=call_id, disposition="solved")
    assert state_of(floor.alice) == (AgentState.READY, "wrapup_over")


def test_it_waits_for_the_disposition_when_the_wrap_up_time_runs_out(floor: Floor) -> None:
    Queue.objects.filter(pk=floor.support.pk).update(wrapup_seconds=30)
    call_id = ended_call(floor, floor.support)
    assert services.end_wrapup(agent_id=floor.alice.pk, call_id=call_id) is None  # the timer fires
    assert state_of(floor.alice)[0] == AgentState.WRAP_UP
    desk_services.save_wrapup(agent_id=floor.alice.pk, call_id=call_id, disposition="solved")
    assert state_of(floor.alice) == (AgentState.READY, "wrapup_over")


def test_it_leaves_the_timer_to_end_a_wrap_up_that_needs_no_disposition(floor: Floor) -> None:
    call_id = ended_call(floor, floor.sales)  # 30 s wrap-up, no disposition required
    desk_services.save_wrapup(agent_id=floor.alice.pk, call_id=call_id, disposition="solved")
    assert state_of(floor.alice)[0] == AgentState.WRAP_UP
    services.end_wrapup(agent_id=floor.alice.pk, call_id=call_id)
    assert state_of(floor.alice) == (AgentState.READY, "wrapup_over")


def test_it_keeps_the_wrap_up_while_the_timer_runs_even_with_the_disposition_saved(floor: Floor) -> None:
    Queue.objects.filter(pk=floor.support.pk).update(wrapup_seconds=30)
    call_id = ended_call(floor, floor.support)
    desk_services.save_wrapup(agent_id=floor.alice.pk, call_id=call_id, disposition="solved")
    assert state_of(floor.alice)[0] == AgentState.WRAP_UP
    services.end_wrapup(agent_id=floor.alice.pk, call_id=call_id)
    assert state_of(floor.alice) == (AgentState.READY, "wrapup_over")
