"""The build stamp of the live screens: a page from an older deploy is told to reload.

A page carries the stamp it was served with and sends it when its socket connects; a server
running other code answers with `stale_page` and the page reloads, instead of sending messages
the new server no longer understands. The stamp is `CCAPP_BUILD_ID` when the deploy sets it, else
a hash of the files the pages and their messages are made of.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from django.conf import settings

STAMPED = (
    "static/desk",
    "templates/desk",
    "templates/wallboard",
    "ccapp/desk/schema.py",
    "ccapp/selectors_live.py",
)


@functools.cache
def build_id() -> str:
    """This server's build stamp (computed once per process)."""
    if os.environ.get("CCAPP_BUILD_ID"):
        return os.environ["CCAPP_BUILD_ID"][:64]
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for name in STAMPED:
        path = base / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                digest.update(str(file.relative_to(base)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]
