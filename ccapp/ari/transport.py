"""An httpx transport on aiohttp's connection pool: the same `httpx.AsyncClient` API for less CPU.

httpx's default transport (httpcore) cost about 1.3 ms of CPU per request on the development machine,
several times httpx's own client layer. In `bench_ari` a REST round trip (client and simulator in one
process) went from about 3 ms to 0.75 ms of CPU with this transport. REST is the Stasis worker's costliest
path, so the client uses it unless given another transport.
"""

from __future__ import annotations

import aiohttp
import httpx
from yarl import URL

# hop-by-hop or computed headers aiohttp sets itself; Accept-Encoding is dropped so bodies come plain
_SKIP = {b"host", b"content-length", b"connection", b"transfer-encoding", b"accept-encoding"}


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Send httpx requests with one `aiohttp.ClientSession` (created on first use, in the running loop)."""

    # Asterisk caps HTTP sessions (100 by default): keep a modest pool and reuse connections
    def __init__(self, *, max_connections: int = 50) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False, auto_decompress=True)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Perform one request; aiohttp's failures become httpx's exceptions."""
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        headers = [(k.decode(), v.decode()) for k, v in request.headers.raw if k.lower() not in _SKIP]
        # encoded=True: ids were percent-encoded by the client (`+` as %2B) and must stay so
        url = URL(str(request.url), encoded=True)
        try:
            async with self._get_session().request(
                request.method,
                url,
                headers=headers,
                data=request.content or None,
                allow_redirects=False,
                timeout=timeout,
            ) as response:
                content = await response.read()
        except TimeoutError as exc:
            raise httpx.TimeoutException(f"ARI request timed out: {exc}", request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}", request=request) from exc
        response_headers = [(k.decode(), v.decode()) for k, v in response.raw_headers]
        # the body is already whole and decoded: its framing headers no longer apply
        drop = {"content-encoding", "transfer-encoding"}
        response_headers = [(k, v) for k, v in response_headers if k.lower() not in drop]
        return httpx.Response(response.status, headers=response_headers, content=content, request=request)

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None
