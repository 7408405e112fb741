"""Typed errors for ARI REST calls: status code plus Asterisk's own message."""

from __future__ import annotations


class AriError(Exception):
    """Any failed ARI REST call; `status` is the HTTP status (0 when no response came)."""

    status: int = 0

    def __init__(self, message: str, *, status: int | None = None, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        return f"{self.status} {self.message}{where}"


class AriBadRequest(AriError):
    """400: a parameter is missing or wrong (e.g. mute without direction)."""

    status = 400


class AriUnauthorized(AriError):
    """401: wrong or missing credentials."""

    status = 401


class AriNotFound(AriError):
    """404: no such channel, bridge, playback or recording."""

    status = 404


class AriConflict(AriError):
    """409: the object is in the wrong state (or the id already exists)."""

    status = 409


class AriUnprocessable(AriError):
    """422: a valid request Asterisk cannot carry out (e.g. channel not in this bridge)."""

    status = 422


class AriServerError(AriError):
    """5xx: Asterisk failed (e.g. 500 "Allocation failed" for an endpoint that is not configured)."""

    status = 500


class AriConnectionError(AriError):
    """No HTTP response at all: connection refused, reset or timed out."""

    status = 0


_BY_STATUS: dict[int, type[AriError]] = {
    400: AriBadRequest,
    401: AriUnauthorized,
    404: AriNotFound,
    409: AriConflict,
    422: AriUnprocessable,
}


def error_for(status: int, message: str, *, method: str = "", path: str = "") -> AriError:
    """The typed exception for an HTTP error status."""
    cls = _BY_STATUS.get(status) or (AriServerError if status >= 500 else AriError)
    return cls(message, status=status, method=method, path=path)
