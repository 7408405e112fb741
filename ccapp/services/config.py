"""Writes of call-center configuration (queues, IVR flows, routes, codes): validated, atomic, versioned."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction


@transaction.atomic
def save_config(*, instance: models.Model, changes: dict[str, Any] | None = None) -> models.Model:
    """Apply changes to a configuration object, validate every field and constraint, then save it."""
    m2m: dict[str, Any] = {}
    for name, value in (changes or {}).items():
        field = instance._meta.get_field(name)
        if field.many_to_many:
            m2m[name] = value
        else:
            setattr(instance, name, value)
    # full_clean raises ValidationError with per-field messages, which the API turns into a 400;
    # nothing is written when it fails.
    instance.full_clean()
    instance.save()
    for name, value in m2m.items():
        getattr(instance, name).set(value)
    return instance


@transaction.atomic
def delete_config(*, instance: models.Model) -> None:
    """Delete a configuration object (history keeps its last version)."""
    instance.delete()
