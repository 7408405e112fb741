"""The supervisor WFM pages render the pure math; no database needed for the calculator or the demo plan."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import translation

from ccapp.wfm import views


@dataclass
class StubUser:
    allowed: bool
    is_authenticated: bool = True
    is_active: bool = True

    def has_perms(self, perms: list[str]) -> bool:
        return self.allowed and list(perms) == ["ccapp.view_reports"]

    def get_full_name(self) -> str:
        return "Sam Supervisor"

    def get_username(self) -> str:
        return "sam"


def get(view, query: dict, allowed: bool = True):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/wfm/", query)
    request.user = StubUser(allowed)  # type: ignore[assignment]
    with translation.override("en"):  # the assertions read the English page (zh-Hans is the default)
        return view(request)


def test_calculator_shows_the_classic_answer() -> None:
    query = {"calls": 100, "interval": 30, "aht": 180, "sl_percent": 80, "sl_seconds": 20, "shrinkage": 30}
    response = get(views.calculator, query)
    html = response.content.decode()
    assert response.status_code == 200
    assert "14 agents on the phones meet the target." in html
    assert "<svg" in html and "0.796" in html  # 13 agents: 79.6 %


def test_calculator_with_patience_adds_erlang_a_columns() -> None:
    query = {"calls": 100, "interval": 30, "aht": 180, "sl_percent": 80, "sl_seconds": 20, "shrinkage": 30}
    html = get(views.calculator, {**query, "patience": 60}).content.decode()
    assert "Abandoned" in html


def test_calculator_rejects_bad_input_with_a_message() -> None:
    html = get(views.calculator, {"calls": -5, "interval": 30, "aht": 180}).content.decode()
    assert "errorlist" in html


def test_pages_need_the_reports_permission() -> None:
    with pytest.raises(PermissionDenied):
        get(views.calculator, {}, allowed=False)
    with pytest.raises(PermissionDenied):
        get(views.plan, {}, allowed=False)


def test_demo_plan_forecasts_and_staffs_next_week() -> None:
    query = {"interval": 60, "weeks": 3, "aht": 180, "sl_percent": 80, "sl_seconds": 20, "shrinkage": 30}
    query["demo"] = "on"
    html = get(views.plan, query).content.decode()
    assert "calls expected; at the peak" in html
    assert html.count('class="agents"') == 168  # one bar per hour of the week
