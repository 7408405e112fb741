"""Plain Django views of the core: home and health."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ccapp import health


def healthz(request: HttpRequest) -> JsonResponse:
    """Report database, Redis, Celery and ARI state as JSON (503 when the database or Redis is down)."""
    report = health.report()
    status = 200 if report["database"]["ok"] and report["redis"]["ok"] else 503
    return JsonResponse(report, status=status)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: links to what the user's role may open."""
    return render(request, "ccapp/home.html", {})
