"""The garbage collector in the long-running processes (the stasis worker, the web server)."""

from __future__ import annotations

import gc


def freeze_startup() -> None:
    """Collect once, then leave everything alive now out of every later collection.

    A full collection walks the whole heap, and most of it is what start-up loaded (Django, the
    models, the ARI schemas): in the worker that pause measured about 80 ms, shared by every call in
    flight. After this it walks only what the process allocated since.
    """
    gc.collect()
    gc.freeze()
