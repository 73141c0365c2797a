"""Bulk work done at the machine's speed: split across cores, with the garbage collector paused.

Cores are used where the work is CPU-bound Python and large enough to pay for the
fork: parsing many registry files, and the bootstrap refits of the difficulty fit.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def fork_safe() -> bool:
    """Whether this process may fork: on Linux, with no other thread running.

    A process with other threads running is never forked (a lock one of them held would
    stay held in the child).
    """
    return sys.platform == "linux" and threading.active_count() == 1


def cores() -> int:
    """Worker processes worth starting: the cores this process may use when forking is safe, else 1."""
    return len(os.sched_getaffinity(0)) if fork_safe() else 1


def split_map(function: Callable[[list[T]], R], items: Sequence[T], pieces_per_core: int = 1) -> list[R]:
    """``function`` of consecutive pieces of ``items``, one result per piece, in order.

    With several cores the pieces go to forked workers, ``pieces_per_core`` per core (more
    pieces let the caller use early results while later ones are made); otherwise, or if
    the workers cannot be used, ``function`` gets all the items at once, here. ``function``
    must be a pure module-level function; its results travel back pickled.
    """
    workers = min(cores(), len(items))
    if workers < 2:
        return [function(list(items))]
    import multiprocessing  # only when there is work to share: these imports cost start-up time
    from concurrent.futures import ProcessPoolExecutor

    count = min(len(items), workers * max(1, pieces_per_core))
    bounds = [len(items) * k // count for k in range(count + 1)]
    pieces = [list(items[start:end]) for start, end in itertools.pairwise(bounds)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(function, pieces))
    except Exception:  # e.g. a plugin's unpicklable settings, or a lost worker: do it all here
        return [function(list(items))]  # (a real bug in ``function`` raises again, here, with its traceback)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many records are built (also a decorator).

    Records form no reference cycles, so the collector finds nothing to free in them, yet
    its passes over a heap growing by a million objects cost more than building them: a
    warm-index check of 100k files took 13.0 s with it running and 7.7 s paused. Memory is
    still freed by reference counting; the collector resumes (if it was running) on exit.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Helper(Generic[T, R]):
    """``function`` called in a forked process of its own, one call at a time (a context manager).

    For system-call-heavy work beside busy threads: each system call a thread makes
    gives up the GIL and then waits for it behind the others, so a thread writing
    thousands of files while eight others run Python spends most of its time waiting.
    The helper makes those calls without a GIL to share; each call costs this process
    one pickled message each way. Where forking is not safe, ``function`` runs here.
    An exception raised by ``function`` is raised again here. The helper dies with
    this process (Linux's parent-death signal), so a killed caller leaves none behind.
    """

    def __init__(self, function: Callable[[T], R]) -> None:
        self.function = function
        self.connection: Any = None
        self.process: Any = None

    def __enter__(self) -> Callable[[T], R]:
        if not fork_safe():
            return self.function
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.connection, theirs = context.Pipe()
        serve_args = (self.function, theirs, self.connection, os.getpid())
        self.process = context.Process(target=_serve, args=serve_args, daemon=True)
        self.process.start()
        theirs.close()
        return self._call

    def _call(self, argument: T) -> R:
        self.connection.send(argument)
        try:
            failed, value = self.connection.recv()
        except EOFError:
            raise RuntimeError("the helper process ended unexpectedly") from None
        if failed:
            raise value
        return value

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.connection.close()  # the helper's next receive ends it
            self.process.join()
            self.process = None


def _serve(function: Callable[[Any], Any], connection: Any, callers_end: Any, caller: int) -> None:
    _die_with(caller)
    callers_end.close()  # so that the caller's end closing ends this loop
    while True:
        try:
            argument = connection.recv()
        except EOFError:
            return
        try:
            connection.send((False, function(argument)))
        except Exception as error:  # handed back, raised again by the caller
            try:
                connection.send((True, error))
            except Exception:  # an exception that cannot be pickled: its text, then
                connection.send((True, RuntimeError(f"{type(error).__name__}: {error}")))


def _die_with(caller: int) -> None:
    """Have the kernel kill this process when ``caller`` (its parent) dies, as if it were the caller itself.

    A killed run then stops writing at once, as a run without a helper would, and
    releases what it held (the resolve lock) together with its helper.
    """
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != caller:  # it died before that took effect
        os._exit(1)
