"""Stage timings of a build (what ``bench/`` reports per stage), and how many processes it may use."""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class Stages:
    """Wall seconds spent in each stage of a build, in the order the stages ran (for ``bench/``)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def default_jobs() -> int:
    """One process per core this process may use (stages that split their work use them all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


#: Allocations between two collections of the youngest generation while a build runs (Python's
#: default is 700). A build makes millions of small objects that live to its end (papers, their
#: fields, the index's terms) and few cycles; with the default, collections of the older
#: generations went over that growing heap again and again. A warm build of 20,000 papers spent
#: about 0.4 s of its 8 s in them (``paper_view`` of every paper: 0.55 s, 0.19 s without).
YOUNG_COLLECTION = 100_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """For a build: the garbage collector runs less often (``YOUNG_COLLECTION``); restored after."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """For the time forked workers run: this process's objects are out of reach of the garbage
    collector (``gc.freeze``), as Python's documentation advises before a fork without exec. A
    worker's collection would otherwise write to every object it scans, each write copying a
    page of memory the worker shared with this process. (A small part of what the workers copy:
    at 20,000 papers the process tree's peak proportional memory went from 2,145 to 2,081 MiB,
    one run each; the rest is the pages whose objects a worker uses, their counts of references
    written as it reads them.)"""
    _trim_heap()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _trim_heap() -> None:
    """Give the memory the heap holds free back to the system (glibc's ``malloc_trim``) before
    workers fork: freed blocks of the stages before (the themes' matrices) stay resident
    otherwise, in this process and in the tree's proportional memory. Elsewhere, nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


#: Set in the parent just before its pool forks: what the workers of ``forked_map`` call.
_WORK: tuple[Callable[[Any, Any], Any], Any] | None = None


def forked_map(
    fn: Callable[[Any, T], R],
    shared: Any,
    tasks: Iterable[T],
    jobs: int,
    cost: Callable[[T], float] | None = None,
) -> list[R]:
    """``[fn(shared, task) for task in tasks]``, in up to ``jobs`` forked processes when there
    are several tasks. ``shared`` (a model, the gathered site) reaches the workers by the fork,
    never pickled; only the tasks and the results are. Results come in task order, so the output
    is the same with any number of processes. One process where fork is not available.

    ``cost`` (a task's expected cost, any unit): the costliest tasks start first, so that the
    last task to end is a short one (the processes end together) rather than a long one started
    last."""
    tasks = list(tasks)
    if jobs <= 1 or len(tasks) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(shared, task) for task in tasks]
    order = list(range(len(tasks)))
    if cost is not None:
        order.sort(key=lambda i: -cost(tasks[i]))
    global _WORK
    _WORK = (fn, shared)
    try:
        workers = min(jobs, len(tasks))
        with (
            frozen_heap(),
            ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool,
        ):
            done = list(pool.map(_call, [tasks[i] for i in order]))
    finally:
        _WORK = None
    results: list[Any] = [None] * len(tasks)
    for i, result in zip(order, done, strict=True):
        results[i] = result
    return results


def _call(task: Any) -> Any:
    assert _WORK is not None  # set before the pool forks
    fn, shared = _WORK
    return fn(shared, task)


@contextmanager
def using(var: ContextVar[T], value: T) -> Iterator[None]:
    """Within the block, ``var`` holds ``value``: how a build lends the stages what its cache keeps
    (``keeping_bases``, ``keeping_vectors`` ...), without passing it through every call."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)
