"""Python runtime settings for the bulk use cases (verifica, consolida): both process-wide, both
safe with threads (the add-in server runs requests concurrently), both restored when the last user
is done.

- `gc_paused()`: reading, checking and writing a workbook creates hundreds of thousands of
  short-lived rows, values and reasons that reference counting frees on its own; the cyclic
  collector, triggered by the allocations alone, rescans them over and over (about a fifth of
  `rendiconta consolida` on six 10,000-row workbooks, see bench/consolida.py). The collector is
  re-enabled only if it was on when the first pause began.
- `gil_handoff()`: while python-calamine decodes files in worker threads, the main thread parses
  and checks in Python. Each time a reader needs the interpreter again it waits for the main thread
  to yield it, by default every 5 ms; yielding every 1 ms keeps the readers going (about a tenth of
  `rendiconta consolida`).
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False
_switch_depth = 0
_switch_before = 0.0

HANDOFF_SECONDS = 0.001


@contextmanager
def gc_paused() -> Iterator[None]:
    global _gc_depth, _gc_was_enabled
    with _lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()


@contextmanager
def gil_handoff(seconds: float = HANDOFF_SECONDS) -> Iterator[None]:
    global _switch_depth, _switch_before
    with _lock:
        if _switch_depth == 0:
            _switch_before = sys.getswitchinterval()
            sys.setswitchinterval(min(seconds, _switch_before))
        _switch_depth += 1
    try:
        yield
    finally:
        with _lock:
            _switch_depth -= 1
            if _switch_depth == 0:
                sys.setswitchinterval(_switch_before)
