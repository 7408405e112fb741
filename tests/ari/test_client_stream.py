"""The events websocket under its supervisor: drops of every kind, reconnect, resync, state, auth."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from ccapp.ari.errors import AriUnauthorized
from ccapp.ari.events import Resync
from ccapp.ari.protocol import ConnectionState
from ccapp.ari.stream import Backoff
from tests.ari.conftest import make_client


@pytest.mark.parametrize("mode", ["close", "abort", "stall"])
async def test_given_a_call_when_the_websocket_drops_then_the_client_reconnects_resyncs_and_handles_once(
    sim, mode
):
    started: Counter[str] = Counter()
    resyncs: list[Resync] = []
    states: list[ConnectionState] = []
    client = make_client(sim, on_state_change=states.append)
    client.on("StasisStart", lambda e: started.update([e.channel.id]))
    client.on("Resync", resyncs.append)
    async with client:
        await client.wait_connected()
        first = await sim.dial("4000")
        await sim.wait_for(lambda: started[first.channel_id])

        assert await sim.drop_websockets(mode) == 1
        await sim.wait_for(lambda: len(resyncs) == 2 and client.state is ConnectionState.CONNECTED)

        assert [c.id for c in resyncs[1].channels] == [first.channel_id]
        assert resyncs[1].app_state.channel_ids == [first.channel_id]
        second = await sim.dial("4001")
        await sim.wait_for(lambda: started[second.channel_id])
        await sim.hangup(second)
        await client.dispatcher.drain()
        assert started == {first.channel_id: 1, second.channel_id: 1}
        assert client.stream.connections == 2
    assert states[:2] == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]
    assert ConnectionState.DISCONNECTED in states[2:]
    assert states[-1] is ConnectionState.DISCONNECTED


async def test_given_asterisk_is_down_then_the_client_keeps_retrying_until_it_is_up(sim):
    port = sim.port
    await sim.stop()
    client = make_client(sim)
    async with client:
        await sim.wait_for(lambda: client.stream.backoff.attempt >= 3)
        assert client.state is not ConnectionState.CONNECTED
        from ccapp.ari.simulator import Simulator

        revived = await Simulator.start(port=port, time_factor=50, username="ccapp", password="s3cret")
        try:
            await revived.wait_for(lambda: client.state is ConnectionState.CONNECTED)
            await client.wait_connected()
        finally:
            await revived.stop()


async def test_events_during_a_disconnect_are_lost_and_the_resync_shows_the_call(sim):
    client = make_client(sim, backoff_initial=1.0, backoff_cap=1.0)
    seen: list[str] = []
    resyncs: list[Resync] = []
    client.on("*", lambda e: seen.append(e.type))
    client.on("Resync", resyncs.append)
    async with client:
        await client.wait_connected()
        call = await sim.dial("4000")
        bridge = await client.create_bridge(type="holding")
        await client.add_channel(bridge.id, call.channel_id)
        await sim.wait_for(lambda: "ChannelEnteredBridge" in seen)
        await sim.drop_websockets("abort")
        await sim.wait_for(lambda: sim.app not in sim.world.connections)
        await client.start_bridge_moh(bridge.id)
        await sim.press(call, "5")  # nobody listens: Asterisk drops it ("missed message")
        assert sim.world.lost_events == 1
        assert (await sim.dial("4002")).rejected  # no app: the caller gets 603
        await sim.wait_for(lambda: len(resyncs) == 2, timeout=10)
    assert "ChannelDtmfReceived" not in seen
    assert [b.id for b in resyncs[1].bridges] == [bridge.id]
    assert [c.id for c in resyncs[1].channels] == [call.channel_id]


async def test_a_second_websocket_replaces_the_first_which_goes_silent(sim, ari):
    replaced: list[str] = []
    ari.on("ApplicationReplaced", lambda e: replaced.append(e.application))
    second = make_client(sim)
    async with second:
        await second.wait_connected()
        await sim.wait_for(lambda: replaced == ["ccapp"])
        heard: list[str] = []
        ari.on("StasisStart", lambda e: heard.append("first"))
        second.on("StasisStart", lambda e: heard.append("second"))
        await sim.dial("4000")
        await sim.wait_for(lambda: heard)
        await second.dispatcher.drain()
        await ari.dispatcher.drain()
        assert heard == ["second"]


async def test_wrong_credentials_get_401_on_rest_and_websocket(sim):
    client = make_client(sim, password="wrong")
    with pytest.raises(AriUnauthorized):
        await client.list_channels()
    async with client:
        await sim.wait_for(lambda: client.stream.backoff.attempt >= 2)
        assert client.state is not ConnectionState.CONNECTED
    assert all(r.status == 401 for r in sim.requests)


async def test_credentials_never_appear_in_urls(sim, ari, call):
    assert "s3cret" not in ari.stream.url
    assert all("s3cret" not in r.path and "s3cret" not in str(r.query) for r in sim.requests)


@pytest.mark.parametrize(
    ("seed", "attempts", "bounds"),
    [
        (1, 1, [(0.25, 0.5)]),
        (2, 4, [(0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0)]),
        (
            3,
            8,
            [(0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (3.0, 6.0), (3.0, 6.0), (3.0, 6.0), (3.0, 6.0)],
        ),
    ],
)
def test_backoff_is_capped_exponential_with_jitter(seed, attempts, bounds):
    backoff = Backoff(initial=0.5, cap=6.0, rng=random.Random(seed))
    delays = [backoff.next_delay() for _ in range(attempts)]
    assert all(low <= d <= high for d, (low, high) in zip(delays, bounds, strict=True))
    same = Backoff(initial=0.5, cap=6.0, rng=random.Random(seed))
    assert [same.next_delay() for _ in range(attempts)] == delays  # seedable
    backoff.reset()
    assert 0.25 <= backoff.next_delay() <= 0.5


def test_jitter_spreads_workers_apart():
    delays = {round(Backoff(rng=random.Random(seed)).next_delay(), 6) for seed in range(20)}
    assert len(delays) == 20
