"""The request core shared by the REST mixins: URL building, auth header, typed errors, parsing.

Requests go straight to one `aiohttp.ClientSession` (keep-alive pool). REST is the Stasis worker's
busiest path (a dozen requests per call): httpx's client layer on top of aiohttp cost about as much
CPU as aiohttp itself, so the URL is built here once and handed over already encoded. Tests may pass
an httpx transport instead (`transport=`), which then receives exactly the same URL, headers and body.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp
import httpx
from pydantic import TypeAdapter, ValidationError
from yarl import URL

from ccapp.ari.errors import AriConnectionError, AriError, error_for

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


def query_string(query: Query | None) -> str:
    """`?a=1&b=x` with every value percent-encoded (`+` as %2B, space as %20), or "" without any."""
    pairs = encode_query(query)
    if not pairs:
        return ""
    return "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs.items())


def error_message(status: int, content: bytes) -> str:
    """Asterisk's message: usually `message`, sometimes `error` (e.g. "Allocation failed")."""
    try:
        body = json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace").strip() or f"HTTP {status}"
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)
    return str(body)


# Asterisk caps HTTP sessions (100 by default): a modest pool of reused connections.
MAX_CONNECTIONS = 50
JSON_HEADERS = {"Content-Type": "application/json"}


class RestBase:
    """Owns the HTTP connection pool and performs one ARI request."""

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
        self._prefix = self.base_url + "/ari"
        self._timeout = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
        self._transport = transport
        self._session: aiohttp.ClientSession | None = None

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._transport is not None:
            await self._transport.aclose()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=30),
                headers={"Authorization": self._auth_header},
                timeout=self._timeout,
                trust_env=False,  # ARI is a LAN peer: an HTTP(S)_PROXY meant for the internet must not apply
            )
        return self._session

    async def _send(self, method: str, url: str, content: bytes | None) -> tuple[int, bytes]:
        headers = JSON_HEADERS if content is not None else None
        if self._transport is not None:
            request = httpx.Request(
                method, url, headers={"Authorization": self._auth_header, **(headers or {})}, content=content
            )
            response = await self._transport.handle_async_request(request)
            return response.status_code, await response.aread()
        # encoded=True: ids and values were percent-encoded above (`+` as %2B) and must stay so
        async with self._http().request(
            method, URL(url, encoded=True), data=content, headers=headers, allow_redirects=False
        ) as response:
            return response.status, await response.read()

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
        url = self._prefix + build_path(template, path) + query_string(query)
        content = None if body is None else json.dumps(body).encode()
        try:
            status, data = await self._send(method, url, content)
        except TimeoutError as exc:
            message = f"ARI request timed out: {exc}"
            raise AriConnectionError(message, method=method, path=template) from exc
        except (aiohttp.ClientError, httpx.HTTPError) as exc:
            raise AriConnectionError(f"{type(exc).__name__}: {exc}", method=method, path=template) from exc
        if status >= 400:
            raise error_for(status, error_message(status, data), method=method, path=template)
        if model is None:
            return None
        if model is bytes:
            return data
        adapter = _ADAPTERS.get(model)
        if adapter is None:
            adapter = _ADAPTERS[model] = TypeAdapter(model)
        try:
            return adapter.validate_json(data)
        except ValidationError as exc:
            # not what the ARI description promises: report it as an ARI failure, not a pydantic one
            message = f"unexpected response body: {exc.errors()[:2]}"
            raise AriError(message, status=status, method=method, path=template) from exc
