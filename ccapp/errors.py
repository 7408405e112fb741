"""Domain errors: a stable error_id slug, an HTTP status and a clear, translatable message."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    error_id = "domain_error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, error_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if error_id:
            self.error_id = error_id


class NotFound(DomainError):
    error_id = "not_found"
    status = 404


class Conflict(DomainError):
    error_id = "conflict"
    status = 409


class PermissionDenied(DomainError):
    error_id = "permission_denied"
    status = 403
