"""Pause Python's cyclic garbage collector while a use case builds its many small objects.

Reading, checking and writing a workbook creates hundreds of thousands of short-lived rows, values
and reasons that reference counting frees on its own; the cyclic collector, triggered by the
allocations alone, rescans them over and over (about a fifth of `rendiconta consolida` on six
10,000-row workbooks, see bench/consolida.py). `gc_paused()` turns it off for the duration and
back on afterwards. It is safe with threads (the add-in server runs requests concurrently): the
collector is re-enabled only when the last pause ends, and only if it was on when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
