"""survey_app.services.memory: the allocator's free pages go back to the system (glibc)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from survey_app.services.memory import release_free_memory


def _resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_release_free_memory__gives_back_the_freed_heap_pages():
    # one freed 16 MB array raises glibc's mmap threshold, so the 1 MB arrays after it come
    # from the heap; the last one stays, so freeing the others cannot shrink the heap's top
    np.ones(16 * 2**20 // 8).sum()
    arrays = [np.ones(2**20 // 8) for _ in range(64)]
    last = arrays[-1]
    del arrays
    before = _resident_mb()
    assert release_free_memory()
    after = _resident_mb()
    assert before - after > 40, (before, after)
    assert last.sum() == 2**20 // 8
