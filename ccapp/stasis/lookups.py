"""IVR lookups: registered Python hooks (database queries) and HTTP calls, with a timeout."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ccapp.stasis import db

log = logging.getLogger(__name__)

Hook = Callable[[Mapping[str, Any]], Any]
HOOKS: dict[str, Hook] = {}


def register_hook(name: str) -> Callable[[Hook], Hook]:
    """Make a sync function available to IVR `lookup` and `pin` nodes under `name`."""

    def decorate(fn: Hook) -> Hook:
        HOOKS[name] = fn
        return fn

    return decorate


class LookupError_(Exception):
    """A lookup that failed for a reason the caller's flow should branch on."""


async def run_lookup(*, hook: str, url: str, params: Mapping[str, Any], timeout: float) -> Any:
    """Run a hook in a thread or GET a URL (JSON answer), both bounded by `timeout` seconds."""
    if hook:
        fn = HOOKS.get(hook)
        if fn is None:
            raise LookupError_(f"unknown hook {hook!r}")
        return await asyncio.wait_for(db.run_aside(fn, dict(params)), timeout)
    async with httpx.AsyncClient(timeout=timeout) as client:
        response = await client.get(url, params=dict(params))
        response.raise_for_status()
        return response.json()


@register_hook("customer_vip_level")
def customer_vip_level(params: Mapping[str, Any]) -> int:
    """Example hook: the VIP level of the calling customer (0 when unknown)."""
    from ccapp.models import Call

    call = Call.objects.filter(pk=params.get("call_id")).select_related("customer").first()
    return int(getattr(call.customer, "vip_level", 0) or 0) if call and call.customer_id else 0
