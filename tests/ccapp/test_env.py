"""Configuration comes from the environment; a bad value stops start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ccapp.env import check_redis_url, env_bool, env_int, parse_database_url

ROOT = Path(__file__).resolve().parents[2]


def test_it_parses_a_database_url_with_a_socket_directory():
    db = parse_database_url("DATABASE_URL", "postgres://u:p%40ss@/ccapp?host=/run/pg")
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "ccapp",
        "u",
        "p@ss",
        "/run/pg",
        "",
    )
    assert db["TEST"]["NAME"] == "test_ccapp"


def test_it_parses_host_and_port():
    db = parse_database_url("DATABASE_URL", "postgresql://postgres@127.0.0.1:5433/x")
    assert (db["HOST"], db["PORT"], db["NAME"]) == ("127.0.0.1", "5433", "x")


@pytest.mark.parametrize("url", ["mysql://h/db", "postgres://h:5432/", "postgres://h:99999/db"])
def test_it_rejects_a_bad_database_url_naming_the_variable(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        parse_database_url("DATABASE_URL", url)


def test_it_rejects_a_redis_url_of_another_scheme():
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        check_redis_url("REDIS_URL", "http://127.0.0.1:6379")
    assert check_redis_url("REDIS_URL", "unix:///tmp/r.sock?db=0").startswith("unix://")


def test_it_reads_booleans_and_integers(monkeypatch):
    monkeypatch.setenv("X_FLAG", "off")
    monkeypatch.setenv("X_NUM", "12")
    assert env_bool("X_FLAG", True) is False
    assert env_int("X_NUM", 0) == 12
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", True)
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_NUM"):
        env_int("X_NUM", 0)


def run_check(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_without_a_secret_key():
    result = run_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_refuses_a_bad_debug_value():
    result = run_check(DEBUG="sometimes", SECRET_KEY="s" * 60)
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


# The test settings relax HTTPS-only cookies and redirects; a deployment has none of that.
PRODUCTION_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in {"SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"}
}


def test_it_is_clean_for_deployment_with_debug_off():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "ccapp.settings", "DEBUG": "0",
             "SECRET_KEY": "a-long-random-production-key-" + "z9" * 20, "ALLOWED_HOSTS": "cc.example.com"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
