"""Supervisor pages: the Erlang calculator and the staffing plan. The Django edge of the pure WFM math.

With ``urls.py``, the only modules of ``ccapp.wfm`` that import Django (the purity test skips them by name).
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccapp.wfm import erlang, erlang_a, forecast, staffing, synthetic

INTERVALS = [(15, "15"), (30, "30"), (60, "60")]


class CalculatorForm(forms.Form):
    calls = forms.FloatField(label=_("Calls per interval"), min_value=0, max_value=1_000_000, initial=100)
    interval = forms.TypedChoiceField(label=_("Interval (min)"), choices=INTERVALS, coerce=int, initial=30)
    aht = forms.FloatField(label=_("Average handle time (s)"), min_value=1, max_value=36_000, initial=180)
    sl_percent = forms.FloatField(label=_("Service level target (%)"), min_value=1, max_value=99.9)
    sl_seconds = forms.FloatField(label=_("Answered within (s)"), min_value=0, max_value=3600, initial=20)
    shrinkage = forms.FloatField(label=_("Shrinkage (%)"), min_value=0, max_value=95, initial=30)
    patience = forms.FloatField(
        label=_("Mean patience (s), for Erlang A"), min_value=1, max_value=36_000, required=False
    )


def _bars(values: list[float], *, width: int = 720, height: int = 160, top: float = 0.0) -> list[dict]:
    """Bar geometry for an inline SVG chart (no JavaScript library needed)."""
    top = top or max(values, default=0) or 1.0
    step = width / max(1, len(values))
    return [
        {"x": round(i * step, 2), "w": round(max(1.0, step - 1), 2), "h": round(height * v / top, 2),
         "y": round(height - height * v / top, 2), "v": v}
        for i, v in enumerate(values)
    ]  # fmt: skip


@permission_required("ccapp.view_reports", raise_exception=True)
def calculator(request: HttpRequest) -> HttpResponse:
    """Erlang C (and A with a patience) for a range of staffing levels around the target."""
    form = CalculatorForm(request.GET or None, initial={"interval": 30, "sl_percent": 80})
    rows, needed, chart = [], None, []
    if form.is_valid():
        d = form.cleaned_data
        per_hour = d["calls"] * 60 / d["interval"]
        target = d["sl_percent"] / 100
        needed = erlang.agents_needed(per_hour, d["aht"], sl_target=target, sl_seconds=d["sl_seconds"])
        load = erlang.offered_load(per_hour, d["aht"])
        for agents in range(max(1, math.floor(load)), max(needed, 1) + 5):
            c = erlang.evaluate(agents, per_hour, d["aht"], d["sl_seconds"])
            row = {
                "agents": agents,
                "scheduled": erlang.with_shrinkage(agents, d["shrinkage"] / 100),
                "pw": c.probability_of_waiting,
                "sl": c.service_level,
                "asa": c.asa,
                "occupancy": c.occupancy,
                "meets": c.service_level >= target,
            }
            if d["patience"]:
                a = erlang_a.evaluate(agents, per_hour, d["aht"], d["patience"], d["sl_seconds"])
                row.update(a_sl=a.service_level, a_abandon=a.probability_of_abandon)
            rows.append(row)
        chart = _bars([r["sl"] * 100 for r in rows], width=len(rows) * 40, top=100)
        for bar, row in zip(chart, rows, strict=True):
            bar["label"] = row["agents"]
    context = {"form": form, "rows": rows, "needed": needed, "chart": chart, "chart_width": len(chart) * 40}
    return render(request, "wfm/calculator.html", context)


class PlanForm(forms.Form):
    interval = forms.TypedChoiceField(label=_("Interval (min)"), choices=INTERVALS, coerce=int, initial=60)
    weeks = forms.IntegerField(label=_("Weeks of history"), min_value=2, max_value=52, initial=8)
    aht = forms.FloatField(label=_("Average handle time (s)"), min_value=1, max_value=36_000, initial=180)
    sl_percent = forms.FloatField(label=_("Service level target (%)"), min_value=1, max_value=99.9)
    sl_seconds = forms.FloatField(label=_("Answered within (s)"), min_value=0, max_value=3600, initial=20)
    shrinkage = forms.FloatField(label=_("Shrinkage (%)"), min_value=0, max_value=95, initial=30)
    demo = forms.BooleanField(label=_("Use demo history"), required=False)


def _history(weeks: int) -> tuple[list[float], float]:
    """Arrival timestamps of inbound calls over the last whole weeks, and the Monday they start on."""
    from ccapp.models.calls import Call, CallDirection  # the Django edge: only here

    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    start = timezone.make_aware(datetime.combine(monday - timedelta(weeks=weeks), time.min))
    rows = Call.objects.filter(
        direction=CallDirection.INBOUND, arrived_at__gte=start, arrived_at__lt=start + timedelta(weeks=weeks)
    ).values_list("arrived_at", flat=True)
    return [t.timestamp() for t in rows], start.timestamp()


@permission_required("ccapp.view_reports", raise_exception=True)
def plan(request: HttpRequest) -> HttpResponse:
    """Next week's forecast per interval and the agents it needs, from call history (or a demo one)."""
    form = PlanForm(request.GET or None, initial={"interval": 60, "weeks": 8, "sl_percent": 80})
    context: dict = {"form": form}
    if form.is_valid():
        d = form.cleaned_data
        if d["demo"]:
            stamps, start = synthetic.arrivals(weeks=d["weeks"], calls_per_day=3000, trend_per_week=0.02), 0.0
        else:
            stamps, start = _history(d["weeks"])
        interval = d["interval"]
        counts = forecast.interval_counts(stamps, start=start, interval_minutes=interval, weeks=d["weeks"])
        if sum(counts) == 0:
            context["empty"] = True
            return render(request, "wfm/plan.html", context)
        model = forecast.fit(counts, interval_minutes=d["interval"])
        rows = staffing.staffing_plan(
            model.predict(1),
            interval_minutes=d["interval"],
            aht_seconds=d["aht"],
            sl_target=d["sl_percent"] / 100,
            sl_seconds=d["sl_seconds"],
            shrinkage=d["shrinkage"] / 100,
        )
        per_day = len(rows) // 7
        context.update(
            rows=[r for r in rows if r.calls >= 0.5],
            calls_chart=_bars([r.calls for r in rows]),
            agents_chart=_bars([float(r.scheduled) for r in rows]),
            day_ticks=[{"x": round(720 * i / 7, 1), "day": i} for i in range(7)],
            per_day=per_day,
            total_calls=round(sum(r.calls for r in rows)),
            peak=max(rows, key=lambda r: r.scheduled),
        )
        if d["weeks"] > 2:
            context["backtest"] = forecast.backtest(counts, interval_minutes=d["interval"], test_weeks=1)
    return render(request, "wfm/plan.html", context)
