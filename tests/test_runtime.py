"""The runtime settings of the file use cases: nested and concurrent users restore the collector and
the switch interval exactly once, and never turn the collector on when it was off before."""

import gc
import sys
import threading

from addin.runtime import gc_paused, gil_handoff


def test_pause_restores_collector_even_on_error():
    assert gc.isenabled()
    try:
        with gc_paused():
            assert not gc.isenabled()
            raise ValueError("x")
    except ValueError:
        pass
    assert gc.isenabled()


def test_overlapping_pauses_from_threads_reenable_once_at_the_end():
    first_in, second_in, release_first = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with gc_paused():
            first_in.set()
            release_first.wait(5)
        seen["after_first"] = gc.isenabled()   # the second pause is still running

    def second():
        first_in.wait(5)
        with gc_paused():
            second_in.set()
            release_first.set()
            t1.join(5)
            seen["inside_second"] = gc.isenabled()
    t1 = threading.Thread(target=first)
    t2 = threading.Thread(target=second)
    t1.start()
    t2.start()
    t2.join(10)
    assert seen == {"after_first": False, "inside_second": False}
    assert gc.isenabled()


def test_collector_left_off_when_it_was_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_switch_interval_shortened_and_restored_by_the_last_user():
    before = sys.getswitchinterval()
    with gil_handoff(0.0007):
        assert sys.getswitchinterval() == 0.0007
        with gil_handoff(0.0003):            # nested (another request): the first setting stays
            assert sys.getswitchinterval() == 0.0007
        assert sys.getswitchinterval() == 0.0007
    assert sys.getswitchinterval() == before
    try:
        with gil_handoff():
            raise RuntimeError
    except RuntimeError:
        pass
    assert sys.getswitchinterval() == before
