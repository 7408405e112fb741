"""Fixtures of the crm tests: users holding exactly the permissions a test names."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

_ids = itertools.count(1)


def make_user(*perms: str):
    """A user with exactly these permissions ('crm.view_customer', ...)."""
    user = get_user_model().objects.create_user(username=f"crm-user-{next(_ids)}", password="x")
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return get_user_model().objects.get(pk=user.pk)  # fresh: no stale permission cache


def api_client(*perms: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user(*perms))
    return client


AGENT = [
    f"crm.{action}_{model}"
    for model in ("customer", "customerphone", "customeremail", "interaction", "article")
    for action in ("view", "add", "change")
]


@pytest.fixture
def agent_api() -> APIClient:
    return api_client(*AGENT)
