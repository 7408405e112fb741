"""The Swagger 1.2 contract as test helpers: build samples from a model, validate values, match requests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ccapp.ari

API_DOCS = Path(ccapp.ari.__file__).with_name("api-docs")
DOCS = {p.stem: json.loads(p.read_text()) for p in sorted(API_DOCS.glob("*.json")) if p.stem != "resources"}
MODELS: dict[str, dict] = {name: m for doc in DOCS.values() for name, m in doc.get("models", {}).items()}
EVENT_TYPES = sorted(MODELS["Event"]["subTypes"])

SCALAR_SAMPLES = {
    "string": "text",
    "int": 7,
    "long": 7,
    "double": 1.5,
    "boolean": True,
    "Date": "2026-11-23T01:03:03.426+0000",
    "object": {"key": "value"},
}
SCALAR_TYPES = {
    "string": (str,),
    "int": (int,),
    "long": (int,),
    "double": (int, float),
    "boolean": (bool,),
    "Date": (str,),
    "object": (dict,),
}


def _list_item(type_name: str) -> str | None:
    match = re.fullmatch(r"List\[(.+)\]", type_name)
    return match.group(1) if match else None


def all_properties(model_name: str) -> dict[str, dict]:
    """A model's properties including those of its Swagger base types (Message, Event)."""
    props: dict[str, dict] = {}
    for base, model in MODELS.items():
        if model_name in model.get("subTypes", []):
            props |= all_properties(base)
    return props | MODELS[model_name].get("properties", {})


def sample(type_name: str, *, required_only: bool = False) -> Any:
    """A value of a Swagger type, built from the schema (events get their `type`)."""
    item = _list_item(type_name)
    if item is not None:
        return [sample(item, required_only=required_only)]
    if type_name in SCALAR_SAMPLES:
        return SCALAR_SAMPLES[type_name]
    out: dict[str, Any] = {}
    for name, prop in all_properties(type_name).items():
        if required_only and not prop.get("required"):
            continue
        values = prop.get("allowableValues", {}).get("values")
        out[name] = values[0] if values else sample(prop["type"], required_only=required_only)
    if "type" in out and type_name in MODELS.get("Message", {}).get("subTypes", []) + EVENT_TYPES:
        out["type"] = type_name
    return out


def validate(type_name: str, value: Any, where: str = "$") -> list[str]:
    """Errors of `value` against a Swagger type: required fields present, types right, extras allowed."""
    item = _list_item(type_name)
    if item is not None:
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [e for i, v in enumerate(value) for e in validate(item, v, f"{where}[{i}]")]
    if type_name in SCALAR_TYPES:
        ok = isinstance(value, SCALAR_TYPES[type_name]) and not (
            type_name != "boolean" and isinstance(value, bool)
        )
        return [] if ok else [f"{where}: expected {type_name}, got {value!r}"]
    if type_name not in MODELS:
        return [f"{where}: unknown type {type_name}"]
    if not isinstance(value, dict):
        return [f"{where}: expected {type_name} object"]
    errors = []
    for name, prop in all_properties(type_name).items():
        if name not in value:
            if prop.get("required"):
                errors.append(f"{where}.{name}: required field missing in {type_name}")
            continue
        errors += validate(prop["type"], value[name], f"{where}.{name}")
        allowed = prop.get("allowableValues", {}).get("values")
        if allowed and value[name] not in allowed:
            errors.append(f"{where}.{name}: {value[name]!r} not in {allowed}")
    return errors


def validate_event(event: dict[str, Any]) -> list[str]:
    """Errors of one emitted event against events.json."""
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        return [f"event type {kind!r} is not in events.json"]
    return validate(kind, event, kind)


@dataclass
class Operation:
    """One ARI operation: method, path template and parameters."""

    method: str
    path: str
    nickname: str
    params: dict[str, dict]
    response: str
    regex: re.Pattern[str]

    def query_params(self) -> dict[str, dict]:
        """Parameters sent in the query string."""
        return {n: p for n, p in self.params.items() if p["paramType"] == "query"}


def _operations() -> list[Operation]:
    ops = []
    for doc in DOCS.values():
        for api in doc.get("apis", []):
            pattern = re.sub(r"\{[^}]+\}", "[^/]+", api["path"])
            for op in api["operations"]:
                params = {p["name"]: p for p in op.get("parameters", [])}
                ops.append(
                    Operation(
                        op["httpMethod"],
                        api["path"],
                        op["nickname"],
                        params,
                        op.get("responseClass", "void"),
                        re.compile(pattern + "$"),
                    )
                )
    # literal paths before templated ones (/channels/create before /channels/{channelId})
    return sorted(ops, key=lambda o: o.path.count("{"))


OPERATIONS = _operations()


def find_operation(method: str, raw_path: str) -> Operation | None:
    """The operation a request (path below /ari, still percent-encoded) belongs to."""
    for op in OPERATIONS:
        if op.method == method and op.regex.match(raw_path):
            return op
    return None


def check_request(method: str, raw_path: str, query: list[str], has_body: bool) -> list[str]:
    """Errors when a request is not in the contract: unknown path/method, unknown or missing params."""
    op = find_operation(method, raw_path)
    if op is None:
        return [f"{method} {raw_path}: no such operation in the api-docs"]
    errors = []
    allowed = op.query_params()
    errors += [f"{op.method} {op.path}: unknown query parameter {q!r}" for q in query if q not in allowed]
    missing = [n for n, p in allowed.items() if p.get("required") and n not in query]
    errors += [f"{op.method} {op.path}: required parameter {n!r} missing" for n in missing]
    if has_body and not any(p["paramType"] == "body" for p in op.params.values()):
        errors.append(f"{op.method} {op.path}: sends a body the operation does not take")
    return errors
