"""Settings for the test suite: production settings with a test key, on the real PostgreSQL and Redis."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "k" * 48)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"ccapp-test-{os.getpid()}")

from ccapp.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

# Tests need no durability: commits without waiting for the disk make migrations and
# transactional tests several times faster.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
