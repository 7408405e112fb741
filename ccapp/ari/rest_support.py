"""The request core shared by the REST mixins: URL building, auth header, typed errors, parsing."""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from ccapp.ari.errors import AriConnectionError, AriError, error_for
from ccapp.ari.transport import AiohttpTransport

log = logging.getLogger(__name__)

Query = Mapping[str, str | int | bool | None]
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def basic_auth_header(username: str, password: str) -> str:
    """The Authorization header value; credentials never go into a URL."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def join_media(media: str | Sequence[str]) -> str:
    """A playlist is one comma-separated value: Asterisk uses only the last of repeated `media=`."""
    return media if isinstance(media, str) else ",".join(media)


def join_ids(ids: str | Sequence[str]) -> str:
    """Several channel ids (or event sources) are one comma-separated value."""
    return ids if isinstance(ids, str) else ",".join(ids)


def build_path(template: str, path: Mapping[str, str] | None) -> str:
    """Fill a Swagger path template; every id is percent-encoded (`+` must become `%2B`)."""
    for name, value in (path or {}).items():
        template = template.replace("{" + name + "}", quote(str(value), safe=""))
    return template


def encode_query(query: Query | None) -> dict[str, str]:
    """Drop unset parameters; booleans as Asterisk spells them."""
    out: dict[str, str] = {}
    for key, value in (query or {}).items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def error_message(response: httpx.Response) -> str:
    """Asterisk's message: usually `message`, sometimes `error` (e.g. "Allocation failed")."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)
    return str(body)


class RestBase:
    """Owns the `httpx.AsyncClient` and performs one ARI request."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth_header = basic_auth_header(username, password)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/ari",
            headers={"Authorization": self._auth_header},
            timeout=timeout,
            transport=transport or AiohttpTransport(),
            trust_env=False,  # ARI is a LAN peer: an HTTP(S)_PROXY meant for the internet must not apply
        )

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        template: str,
        path: Mapping[str, str] | None = None,
        query: Query | None = None,
        body: Any = None,
        *,
        model: Any = None,
    ) -> Any:
        url = build_path(template, path)
        try:
            response = await self._http.request(method, url, params=encode_query(query), json=body)
        except httpx.HTTPError as exc:
            raise AriConnectionError(f"{type(exc).__name__}: {exc}", method=method, path=template) from exc
        if response.status_code >= 400:
            raise error_for(response.status_code, error_message(response), method=method, path=template)
        if model is None:
            return None
        if model is bytes:
            return response.content
        adapter = _ADAPTERS.get(model)
        if adapter is None:
            adapter = _ADAPTERS[model] = TypeAdapter(model)
        try:
            return adapter.validate_json(response.content)
        except ValidationError as exc:
            # not what the ARI description promises: report it as an ARI failure, not a pydantic one
            message = f"unexpected response body: {exc.errors()[:2]}"
            raise AriError(message, status=response.status_code, method=method, path=template) from exc
