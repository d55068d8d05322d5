"""Hand the C allocator's free memory back to the system between the phases of a long
computation (a report run).

Why: numpy's temporaries of a report run (a screening batch, the arrays of a chunk) are a
few MB each. Once such an array has been freed, glibc raises its mmap threshold to that size
and serves the next ones from its heap, whose freed pages it keeps: a run at 1,000,000
responses held about 50 MB more than it used (``benchmarks/reports.py``). ``malloc_trim``
returns the free pages of every heap at once; it costs a walk over the free lists
(milliseconds), so it is called between phases, not per chunk. Elsewhere than glibc (no
``malloc_trim``), nothing is done.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

__all__ = ["release_free_memory"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        function = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    trim: Callable[[int], int] = function
    return trim


def release_free_memory() -> bool:
    """Return the allocator's free pages to the system; False where that cannot be done."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
