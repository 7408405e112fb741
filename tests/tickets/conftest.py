"""Fixtures of the tickets tests: users with exactly the permissions named, a frozen clock, calendars."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from ccapp.celery import app as celery_app
from ccapp.models import BusinessHours, Holiday, OpeningHours
from crm.models import Customer
from tickets import clock

User = get_user_model()

AGENT_PERMS = ("tickets.view_ticket", "tickets.add_ticket", "tickets.change_ticket", "tickets.add_comment")


class FrozenClock:
    """The tickets clock, frozen at `at` until moved."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        # clock.travel (used by the demo seed) still wins over the frozen time, as it does over the real one.
        return clock._travel.get() or self.at

    def move(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at

    def set(self, at: datetime) -> datetime:
        self.at = at
        return at


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    # Monday 5 October 2026, 10:00 in Shanghai.
    clock = FrozenClock(datetime(2026, 10, 5, 2, 0, tzinfo=UTC))
    monkeypatch.setattr("tickets.clock.now", clock)
    return clock


@pytest.fixture(autouse=True)
def eager_celery(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TICKETS_BASE_URL = "https://cc.example.com"


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(username: str, *perms: str, email: str | None = None) -> User:
        user = User.objects.create_user(
            username, email if email is not None else f"{username}@example.com", "pw"
        )
        for perm in perms:
            app, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
        return User.objects.get(pk=user.pk)  # fresh: no cached permissions

    return make


@pytest.fixture
def agent(make_user) -> User:
    return make_user("li.na", *AGENT_PERMS)


@pytest.fixture
def supervisor(make_user) -> User:
    return make_user(
        "wang.wei",
        *AGENT_PERMS,
        "tickets.supervise_ticket",
        "tickets.view_slapolicy",
        "tickets.add_slapolicy",
    )


@pytest.fixture
def customer(db) -> Customer:
    return Customer.objects.create(name="张三", email="zhang@example.com", language="zh")


@pytest.fixture
def vip_customer(db) -> Customer:
    return Customer.objects.create(name="Alice VIP", email="alice@example.com", language="en", vip_level=3)


@pytest.fixture
def office_hours(db) -> BusinessHours:
    """Mon-Fri 09:00-12:00 and 13:00-18:00 in Shanghai; 1-2 Oct closed; Saturday 10 Oct worked (调休)."""
    calendar = BusinessHours.objects.create(name="office", timezone="Asia/Shanghai")
    for day in range(5):
        OpeningHours.objects.create(calendar=calendar, weekday=day, opens=time(9), closes=time(12))
        OpeningHours.objects.create(calendar=calendar, weekday=day, opens=time(13), closes=time(18))
    Holiday.objects.create(calendar=calendar, date=datetime(2026, 10, 1).date(), name="国庆节")
    Holiday.objects.create(calendar=calendar, date=datetime(2026, 10, 2).date(), name="国庆节")
    Holiday.objects.create(
        calendar=calendar, date=datetime(2026, 10, 10).date(), name="调休", working_day=True
    )
    return calendar
