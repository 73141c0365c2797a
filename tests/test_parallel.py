"""Work split over worker processes comes back whole and in order, or is done here when it cannot travel."""

from __future__ import annotations

import datetime as dt
import gc
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from predreg import checks, parallel, plugins, registry

from .conftest import EXAMPLE_REGISTRY


def _pids_and_items(items: list[int]) -> list[tuple[int, int]]:
    return [(os.getpid(), item) for item in items]


def _unpicklable(items: list[int]) -> list[object]:
    return [lambda item=item: item for item in items]


def test_pieces_come_back_in_order_from_other_processes() -> None:
    if parallel.cores() < 2:
        pytest.skip("one core: no worker processes")
    pieces = parallel.split_map(_pids_and_items, list(range(103)), 3)
    assert len(pieces) == 3 * parallel.cores()
    assert [item for piece in pieces for _, item in piece] == list(range(103))
    assert os.getpid() not in {pid for piece in pieces for pid, _ in piece}


def test_results_that_cannot_travel_are_made_here() -> None:
    pieces = parallel.split_map(_unpicklable, list(range(10)), 2)
    assert len(pieces) == 1 and [f() for f in pieces[0]] == list(range(10))  # type: ignore[operator]


def test_a_process_with_other_threads_is_never_forked() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert parallel.cores() == 1
        [piece] = parallel.split_map(_pids_and_items, [1, 2, 3])
        assert {pid for pid, _ in piece} == {os.getpid()}
    finally:
        stop.set()
        thread.join()


def test_the_collector_is_paused_inside_and_resumes_after() -> None:
    assert gc.isenabled()
    with parallel.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_resumes_after_an_error_and_stays_off_if_it_was_off() -> None:
    with pytest.raises(ValueError), parallel.collector_paused():
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with parallel.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_checking_a_registry_runs_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    states = []
    real = checks._first_context

    def first_context(*args: Any) -> checks.Context:
        states.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(checks, "_first_context", first_context)
    checks.check_registry(
        registry.walk(str(EXAMPLE_REGISTRY)), today=dt.date(2026, 11, 23), resolvers=plugins.catalogue()
    )
    assert states == [False]
    assert gc.isenabled()


def _pid_and_double(value: int) -> tuple[int, int]:
    if value < 0:
        raise ValueError(f"negative: {value}")
    return os.getpid(), 2 * value


def test_a_helper_runs_each_call_in_its_own_process_and_raises_its_errors_here() -> None:
    if not parallel.fork_safe():
        pytest.skip("forking is not safe here")
    with parallel.Helper(_pid_and_double) as call:
        answers = [call(k) for k in range(5)]
        with pytest.raises(ValueError, match="negative: -1"):
            call(-1)
        assert call(7)[1] == 14  # still serving after an error
    assert [double for _, double in answers] == [0, 2, 4, 6, 8]
    assert len({pid for pid, _ in answers}) == 1
    assert answers[0][0] != os.getpid()


def test_a_helper_beside_running_threads_is_this_process() -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        with parallel.Helper(_pid_and_double) as call:
            assert call(3) == (os.getpid(), 6)
    finally:
        release.set()
        thread.join()


def test_a_helper_dies_with_its_caller(tmp_path: Path) -> None:
    if not parallel.fork_safe():
        pytest.skip("forking is not safe here")
    script = (
        "import os, sys, time\n"
        "from predreg import parallel\n"
        "with parallel.Helper(lambda pause: time.sleep(pause) or os.getpid()) as call:\n"
        "    print(call(0), flush=True)\n"
        "    call(60)  # the helper is busy in this call when its caller is killed\n"
    )
    caller = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert caller.stdout is not None
    helper = int(caller.stdout.readline())
    assert helper != caller.pid and _alive(helper)
    caller.kill()
    caller.wait()
    deadline = time.monotonic() + 10
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(helper)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has already died


def test_side_by_side_yields_as_items_finish_and_gives_up_on_one_past_its_deadline() -> None:
    release = threading.Event()
    threads = threading.active_count()

    def wait(seconds: float | None) -> float | None:
        if seconds is None:
            release.wait(30)  # never ends within the deadline: released at the end, not to outlive the test
        else:
            time.sleep(seconds)
        return seconds

    try:
        events = list(parallel.side_by_side(wait, [None, 0.3, 0.0], workers=3, deadline=2, tick=0.1))
    finally:
        release.set()
    finished = [event for event in events if event is not None]
    assert finished[:2] == [(2, 0.0), (1, 0.3)]  # the order they finished in, not the order given
    assert finished[2] == (0, parallel.Overran(2))
    assert None in events  # ticks while the slow one ran
    end = time.monotonic() + 10
    while threading.active_count() > threads and time.monotonic() < end:  # the given-up lane ends too
        time.sleep(0.01)
    assert threading.active_count() == threads


def test_side_by_side_raises_what_the_function_raised_even_systemexit() -> None:
    def leave(_: int) -> None:
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        list(parallel.side_by_side(leave, [1], workers=1))


def test_a_helper_killed_during_a_call_is_told_apart_from_a_closed_pipe() -> None:
    if not parallel.fork_safe():
        pytest.skip("forking is not safe here")
    import signal

    with parallel.Helper(lambda pause: time.sleep(pause) or os.getpid()) as call:
        helper = call(0)
        killer = threading.Timer(0.3, os.kill, (helper, signal.SIGKILL))
        killer.start()
        try:
            with pytest.raises(parallel.HelperDied, match="killed by SIGKILL"):
                call(30)  # busy in this call when it is killed: no answer will come
        finally:
            killer.join()
        with pytest.raises(parallel.HelperDied, match="killed by SIGKILL"):  # the next call: a broken pipe
            call(0)
    assert not issubclass(parallel.HelperDied, BrokenPipeError)  # the CLI reads that as `| head`
