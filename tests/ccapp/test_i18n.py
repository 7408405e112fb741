"""Every page speaks zh-Hans or English, following the user's choice."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_speaks_chinese_by_default():
    page = Client().get("/accounts/login/").content.decode()
    assert "登录" in page


def test_it_follows_the_browser_language():
    page = Client(headers={"accept-language": "en"}).get("/accounts/login/").content.decode()
    assert "Log in to the call center" in page


def test_it_keeps_the_language_the_user_chose():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Log in to the call center" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert "登录" in client.get("/accounts/login/").content.decode()


def test_it_translates_model_choices():
    from django.utils import translation

    from ccapp.models import AgentState

    with translation.override("zh-hans"):
        assert str(AgentState.READY.label) != "Ready"
    with translation.override("en"):
        assert str(AgentState.READY.label) == "Ready"
