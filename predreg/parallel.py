"""Bulk work done at the machine's speed: split across cores, with the garbage collector paused.

Cores are used where the work is CPU-bound Python and large enough to pay for the
fork: parsing many registry files, and the bootstrap refits of the difficulty fit.
Work that waits (resolvers on the network) runs side by side on threads, each item
with a deadline (:func:`side_by_side`).
"""

from __future__ import annotations

import collections
import contextlib
import gc
import itertools
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs

from .errors import HelperDied

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
    except Exception:  # e.g. a lost worker: do it all here
        return [function(list(items))]  # (a real bug in ``function`` raises again, here, with its traceback)


class Mapper(Protocol):
    """How bulk work is done: ``function`` of consecutive pieces of ``items``, one result per piece, in order.

    The core takes one as an argument (:func:`serial` by default) and the edge chooses:
    :func:`split_map` to use the machine's cores, so no core module holds state for a fork.
    """

    def __call__(self, function: Callable[[list[T]], R], items: Sequence[T], /) -> list[R]: ...


def serial(function: Callable[[list[T]], R], items: Sequence[T], /) -> list[R]:
    """The :class:`Mapper` that does it all here: ``function`` of every item at once."""
    return [function(list(items))]


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
    An exception raised by ``function`` is raised again here; a helper that died (the
    OOM killer, a SIGKILL) raises :class:`HelperDied`, at that call and every later one. The helper dies with
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
        try:
            self.connection.send(argument)
            failed, value = self.connection.recv()
        except (EOFError, OSError):  # its end of the pipe closed: BrokenPipeError sending, EOF receiving
            raise HelperDied(self._death()) from None
        if failed:
            raise value
        return value

    def _death(self) -> str:
        """How the helper ended, e.g. "was killed by SIGKILL" (the OOM killer's signal)."""
        self.process.join(5)  # it is gone, or going: its exit status is a moment away
        code = self.process.exitcode
        if code is None:
            return "stopped answering"
        if code < 0:
            import signal

            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with status {code}"

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


@attrs.frozen
class Overran:
    """An item given up on: it ran longer than ``seconds`` (its thread is left to end, its result unused)."""

    seconds: float


class _Lanes(Generic[T, R]):
    """Daemon threads taking items in turn; results go to one queue as they finish."""

    def __init__(self, function: Callable[[T], R], items: Sequence[T], workers: int) -> None:
        self.function = function
        self.items = items
        self.waiting = collections.deque(range(len(items)))
        self.running: dict[int, float] = {}  # item -> when it started
        self.abandoned: set[int] = set()
        self.finished: queue.SimpleQueue[tuple[int, bool, Any]] = queue.SimpleQueue()
        self.lock = threading.Lock()
        for _ in range(min(workers, len(items))):
            self.open_lane()

    def open_lane(self) -> None:
        # daemon: a lane stuck for good (a resolver looping forever) must not keep the process alive
        threading.Thread(target=self._lane, name="predreg-lane", daemon=True).start()

    def _lane(self) -> None:
        while True:
            with self.lock:
                if not self.waiting:
                    return
                index = self.waiting.popleft()
                self.running[index] = time.monotonic()
            value: Any
            try:
                value, ok = self.function(self.items[index]), True
            except BaseException as error:  # SystemExit too: in a thread it would end the lane without a word
                value, ok = error, False
            with self.lock:
                self.running.pop(index, None)  # (already gone if it was given up on)
                if index in self.abandoned:  # given up on: another lane has taken this one's place
                    return
            self.finished.put((index, ok, value))

    def give_up(self, deadline: float | None) -> list[tuple[int, Overran]]:
        """The items running longer than ``deadline`` seconds, now given up on (a fresh lane for each)."""
        if deadline is None:
            return []
        now = time.monotonic()
        with self.lock:
            late = [index for index, started in self.running.items() if now - started >= deadline]
            self.abandoned.update(late)
            for index in late:
                del self.running[index]
        for _ in late:
            self.open_lane()
        return [(index, Overran(deadline)) for index in late]

    def wait(self, tick: float | None, deadline: float | None) -> float | None:
        """How long to wait for the next result: until the next tick, or the first deadline to pass."""
        waits = [] if tick is None else [tick]
        if deadline is not None:
            with self.lock:
                first = min(self.running.values(), default=None)
            if first is not None:
                waits.append(max(0.0, first + deadline - time.monotonic()) + 0.01)
        return min(waits, default=None)


def side_by_side(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int,
    deadline: float | None = None,
    tick: float | None = None,
) -> Iterator[tuple[int, R | Overran] | None]:
    """``function`` of each item on ``workers`` threads; ``(index, result)`` as each finishes, in no set order.

    An item still running after ``deadline`` seconds is given up on: ``(index, Overran)``,
    and a fresh thread takes its place, so one item that never ends stops nothing else.
    (Python cannot stop a thread; one that holds the interpreter's lock in C code for
    good, e.g. in a backtracking ``re`` match, is beyond any deadline here.) ``None``
    comes after ``tick`` seconds without a result, so the caller may act on time.
    An exception ``function`` raises is raised here.
    """
    lanes = _Lanes(function, items, workers)
    left = len(items)
    while left:
        try:
            index, ok, value = lanes.finished.get(timeout=lanes.wait(tick, deadline))
        except queue.Empty:
            late = lanes.give_up(deadline)
            left -= len(late)
            yield from late
            if not late:
                yield None
            continue
        if not ok:
            raise value
        left -= 1
        yield index, value
