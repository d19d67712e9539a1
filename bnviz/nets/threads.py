"""How many BLAS threads NumPy may use while a network trains."""

from __future__ import annotations

import contextlib
from functools import lru_cache

BLAS_THREADS = 1
"""BLAS threads while training. The matrices are small (batch × 100): a second thread
gains little, and on a busy 2-core machine OpenBLAS's waiting threads made a 200×100
product up to 100× slower in our measurements."""


@lru_cache(maxsize=1)
def _threadpools():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_threads(n: int | None):
    """A context limiting NumPy's BLAS to ``n`` threads (None: leave it alone)."""
    if n is None:
        return contextlib.nullcontext()
    return _threadpools().limit(limits=n, user_api="blas")
