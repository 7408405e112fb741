"""The ARI contract: what the client sends and what the simulator serves exist in the api-docs."""

from __future__ import annotations

import inspect
import json
import typing
from urllib.parse import parse_qsl

import httpx
import pytest

from ccapp.ari.client import AriClient
from ccapp.ari.protocol import Ari, AriBridges, AriChannels, AriMedia, AriSystem
from ccapp.ari.simulator import Simulator
from tests.ari.schema import DOCS, check_request, find_operation, sample, validate

REST_PROTOCOLS = (AriChannels, AriMedia, AriBridges, AriSystem)
REST_METHODS = sorted(
    {name for proto in REST_PROTOCOLS for name in proto.__dict__ if not name.startswith("_")}
)
ODD_ID = "id+with/odd chars"  # `+` must reach Asterisk as %2B, `/` as %2F


def _value(annotation: typing.Any) -> typing.Any:
    """A non-empty argument for a parameter of the given annotation."""
    text = str(annotation)
    if "Mapping" in text:
        return {"CCAPP_CALL": "42"}
    if "bool" in text:
        return True
    if "int" in text:
        return 3
    if "Sequence" in text:
        return ["sound:one", "sound:two"]
    return "value"


class ContractTransport(httpx.AsyncBaseTransport):
    """Checks every request against the api-docs and answers with a schema-built sample."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.seen: set[tuple[str, str]] = set()
        self.raw_paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw_path = request.url.raw_path.decode().split("?")[0].removeprefix("/ari")
        self.raw_paths.append(raw_path)
        query = [k for k, _ in parse_qsl(request.url.query.decode(), keep_blank_values=True)]
        body = request.content
        self.errors += check_request(request.method, raw_path, query, bool(body))
        if request.url.userinfo or "pass" in str(request.url):
            self.errors.append("credentials in URL")
        if not request.headers.get("Authorization", "").startswith("Basic "):
            self.errors.append("no basic auth header")
        op = find_operation(request.method, raw_path)
        if op is None:
            return httpx.Response(404, json={"message": "Resource not found"})
        self.seen.add((op.method, op.path))
        if op.response == "void":
            return httpx.Response(204)
        if op.response == "binary":
            return httpx.Response(200, content=b"RIFF")
        return httpx.Response(200, content=json.dumps(sample(op.response)).encode())


def _calls(name: str) -> list[tuple[list[typing.Any], dict[str, typing.Any]]]:
    """Two calls per method: only required arguments, then every argument set."""
    signature = inspect.signature(getattr(AriClient, name))
    hints = typing.get_type_hints(getattr(AriClient, name))
    positional, required_kw, all_kw = [], {}, {}
    for param in list(signature.parameters.values())[1:]:
        value = ODD_ID if param.kind is param.POSITIONAL_OR_KEYWORD and hints[param.name] is str else None
        value = value or _value(hints[param.name])
        if param.kind is param.POSITIONAL_OR_KEYWORD and param.default is param.empty:
            positional.append(value)
        elif param.default is param.empty:
            required_kw[param.name] = value
        else:
            all_kw[param.name] = value
    return [(positional, required_kw), (positional, required_kw | all_kw)]


async def test_every_request_the_client_can_send_is_in_the_api_docs():
    transport = ContractTransport()
    client = AriClient("http://asterisk:8088", "user", "pass", app="ccapp", transport=transport)
    for name in REST_METHODS:
        for args, kwargs in _calls(name):
            await getattr(client, name)(*args, **kwargs)
    await client.aclose()
    assert transport.errors == []
    assert any("id%2Bwith%2Fodd%20chars" in p for p in transport.raw_paths)
    assert not any("+" in p for p in transport.raw_paths)


async def test_the_contract_check_rejects_a_path_asterisk_does_not_have():
    assert check_request("POST", "/channels/abc/teleport", [], False)
    assert check_request("GET", "/channels", ["bogus"], False)
    assert check_request("POST", "/channels/abc/play", [], False)  # media is required
    assert check_request("POST", "/channels/abc/answer", [], True)  # no body taken


def test_the_client_implements_the_whole_protocol():
    client = AriClient("http://asterisk:8088", "user", "pass", app="ccapp")
    assert isinstance(client, Ari)
    for proto in REST_PROTOCOLS:
        for name, member in proto.__dict__.items():
            if callable(member) and not name.startswith("_"):
                mine = inspect.signature(getattr(AriClient, name))
                assert list(mine.parameters) == list(inspect.signature(member).parameters), name


def test_every_path_the_simulator_serves_is_in_the_api_docs():
    app = Simulator().build_app()
    contract = {
        (op["httpMethod"], api["path"])
        for d in DOCS.values()
        for api in d.get("apis", [])
        for op in api["operations"]
    }
    served = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/_sim/") or route.method == "HEAD":
            continue
        assert path.startswith("/ari/"), path
        served.add((route.method, path.removeprefix("/ari")))
    assert served - contract == set()
    assert len(served) > 60


@pytest.mark.parametrize(
    ("model", "value", "ok"),
    [
        ("Channel", sample("Channel"), True),
        ("Channel", {k: v for k, v in sample("Channel").items() if k != "id"}, False),
        ("Playback", sample("Playback") | {"state": "exploded"}, False),
        ("ChannelDtmfReceived", sample("ChannelDtmfReceived") | {"duration_ms": "280"}, False),
        ("Bridge", sample("Bridge") | {"channels": "c1"}, False),
    ],
)
def test_the_event_validator_catches_missing_fields_and_wrong_types(model, value, ok):
    assert (validate(model, value) == []) is ok
