"""Named users and small builders shared by the tests (the role groups are the real ones)."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from ccapp import models as m
from ccapp.roles import ensure_roles

PASSWORD = "test-pass-123"


def make_user(username: str, role: str | None = None, **extra) -> User:
    """A staff user in one role group (roles are refreshed first, as after migrate)."""
    ensure_roles()
    user = User.objects.create_user(username=username, password=PASSWORD, is_staff=True, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_agent(username: str = "alice", extension: str = "1001") -> m.Agent:
    user = make_user(username, "agent")
    return m.Agent.objects.create(user=user, extension=extension, endpoint=f"PJSIP/{extension}")
