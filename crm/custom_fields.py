"""Custom customer fields: values checked against the definitions admins edit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from ccapp.errors import DomainError
from crm.models import CustomFieldDefinition, CustomFieldType


def _coerce(definition: CustomFieldDefinition, value: Any) -> Any:
    kind = definition.type
    if kind == CustomFieldType.TEXT:
        return str(value)[:1000]
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        return int(number) if number.is_integer() else number
    if kind == CustomFieldType.DATE:
        return dt.date.fromisoformat(str(value)).isoformat()
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "y", "是"):
            return True
        if text in ("0", "false", "no", "n", "否"):
            return False
        raise ValueError
    if kind == CustomFieldType.CHOICE:
        if str(value) not in [str(c) for c in definition.choices]:
            raise ValueError
        return str(value)
    raise ValueError


def definitions() -> dict[str, CustomFieldDefinition]:
    """The current custom field definitions by key."""
    return {d.key: d for d in CustomFieldDefinition.objects.all()}


def validate_custom(
    values: dict[str, Any], known: dict[str, CustomFieldDefinition] | None = None
) -> dict[str, Any]:
    """Typed custom values; unknown keys, wrong types and missing required fields are errors."""
    if not isinstance(values, dict):
        raise DomainError(_("Custom fields must be an object."), field="custom", error_id="custom_invalid")
    by_key = known if known is not None else definitions()
    clean: dict[str, Any] = {}
    for key, value in values.items():
        definition = by_key.get(key)
        if definition is None:
            raise DomainError(_("Unknown custom field."), field=f"custom.{key}", error_id="custom_unknown")
        if value in (None, ""):
            continue
        try:
            clean[key] = _coerce(definition, value)
        except (TypeError, ValueError) as exc:
            raise DomainError(
                _("Wrong value for %(label)s.") % {"label": definition.label},
                field=f"custom.{key}",
                error_id="custom_invalid",
            ) from exc
    for key, definition in by_key.items():
        if definition.required and key not in clean:
            raise DomainError(
                _("%(label)s is required.") % {"label": definition.label},
                field=f"custom.{key}",
                error_id="custom_required",
            )
    return clean
