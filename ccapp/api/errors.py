"""DRF exception handler: domain errors become 4xx bodies that name the field and the error_id."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ccapp.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map DomainError and Django's ValidationError to clear 4xx responses."""
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"error_id": exc.error_id, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
            body[exc.field] = [exc.message]
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {
                field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()
            }
        else:
            body = {"non_field_errors": list(exc.messages)}
        body["error_id"] = "invalid"
        return Response(body, status=400)
    return drf_exception_handler(exc, context)
