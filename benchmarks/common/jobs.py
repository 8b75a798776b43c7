"""Independent jobs of a benchmark (learner × seed, budgets, runs): run here or on Ray, kept for ``--resume``.

Data flow: a benchmark's list of :class:`Job` (a key, the configuration that determines its result, the
argument of a module-level function) → :func:`run_jobs` → one result per job, each written to the job
folder as it finishes → the benchmark's summary. Backends:

* ``local``: in this process (``workers`` 1) or in a spawn pool of ``workers`` processes;
* ``ray``: one Ray task per job, reserving ``threads`` CPUs (and ``gpus`` GPUs) with
  ``torch.set_num_threads(threads)`` inside it, on the cluster at ``ray_address`` or, by default, on a
  local Ray instance sized to this machine. Asking Ray for more CPUs than exist made jobs about seven
  times slower, and one torch thread per task 3.6 times faster than torch's default (issue 16).

A job's result depends only on its argument, never on the backend or the order of completion, so the
same seeds give the same numbers everywhere. A job that raises is reported with its configuration and
the others still finish; :class:`JobsFailed` then lists the failures, and ``--resume`` reruns only the
jobs without a result of the same configuration in the job folder. A stored result is read back holding
only Python's plain values and NumPy arrays (:func:`read_result`): a file that holds anything else, or does
not read, is named and its job runs again.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import pickle
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from nat_env.flags import positive_int
from nat_env.progress import show_progress
from nat_env.records import atomic_file

BACKENDS = ("local", "ray")

_ARRAY_PARTS = frozenset(
    (module, name)
    for module in ("numpy._core.multiarray", "numpy.core.multiarray")
    for name in ("_reconstruct", "scalar")
) | {("numpy", "ndarray"), ("numpy", "dtype")}
"""The only globals a stored result may name: what NumPy arrays and scalars unpickle from."""


class _ResultReader(pickle.Unpickler):
    """Unpickles plain values and NumPy arrays only: a tampered job file cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ARRAY_PARTS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"it names {module}.{name}; job results hold plain values and arrays only"
        )


def read_result(data: bytes) -> Any:
    """A job result from its stored bytes (plain values and NumPy arrays only).

    Raises:
        ValueError: for bytes that do not read as such a result.
    """
    try:
        return _ResultReader(io.BytesIO(data)).load()
    except Exception as error:  # any malformed pickle: truncated, foreign, tampered
        raise ValueError(f"not a job result: {error}") from error


def result_bytes(result: Any) -> bytes:
    """A job result's stored form, checked to read back (a result holding another type is refused here,
    where it is made, not when a later run resumes).

    Raises:
        ValueError: for a result that holds anything but plain values and NumPy arrays.
    """
    data = pickle.dumps(result)
    read_result(data)
    return data


@dataclass
class JobsArgs:
    """How a benchmark runs its jobs (a base of its arguments dataclass; results do not depend on it)."""

    backend: str = field(default="local", metadata={"choices": BACKENDS})
    """Where jobs run: local (this machine's processes) or ray (one Ray task per job)."""
    ray_address: str | None = None
    """Ray cluster to join (auto, HOST:6379 or ray://HOST:10001); default: start a local Ray sized to this machine."""
    workers: int = field(default=1, metadata={"type": positive_int})
    """Local backend: processes running jobs in parallel (1: in this process)."""
    threads: int = field(default=1, metadata={"type": positive_int})
    """Torch threads per job (a Ray task reserves as many CPUs)."""
    gpus: float = 0.0
    """Ray backend: GPUs a job reserves (0 for CPU jobs)."""
    resume: bool = False
    """Rerun only the jobs with no result of the same configuration in the job folder."""


@dataclass(frozen=True)
class Job:
    """One unit of work.

    Attributes:
        key: a short name for progress lines and file names (``ppo-seed3``).
        config: what determines the result (JSON-serialisable); reported when the job fails.
        argument: what the job function receives (picklable).
    """

    key: str
    config: dict[str, Any]
    argument: Any

    @property
    def file_name(self) -> str:
        """The job's result file: its key and a digest of its configuration."""
        text = json.dumps(self.config, sort_keys=True, default=str)
        return f"{self.key}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.pkl"


class JobsFailed(RuntimeError):
    """Some jobs raised; the message names each with its configuration and last error line."""


def call(module: str, name: str, argument: Any, threads: int) -> Any:
    """Run ``module.name(argument)`` with ``threads`` torch threads, long phases shown on stderr: the body
    of every job."""
    import torch

    show_progress()
    torch.set_num_threads(threads)
    return getattr(importlib.import_module(module), name)(argument)


def importable(function: Callable[[Any], Any]) -> tuple[str, str]:
    """A module-level function's module and name, as another process imports them (``python -m`` too)."""
    module = function.__module__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is None:
            raise ValueError(f"{function.__qualname__} is in a script; run it with python -m")
        module = spec.name
    return module, function.__qualname__


def run_jobs(
    function: Callable[[Any], Any],
    jobs: Sequence[Job],
    options: JobsArgs,
    folder: str | Path | None = None,
    describe: Callable[[Any], str] = lambda result: "done",
) -> list[Any]:
    """Run every job (or, with ``options.resume``, every job without a stored result), in ``jobs`` order.

    Args:
        function: a module-level function of one argument.
        jobs: the work.
        options: backend, parallelism, threads, resume.
        folder: where each result is written as it finishes (``<key>-<digest>.pkl``); ``None`` keeps
            nothing (and nothing resumes).
        describe: a result's summary for its progress line.

    Returns:
        The results, in the order of ``jobs``.

    Raises:
        JobsFailed: after every job has finished, when some raised.
    """
    store = Path(folder) if folder is not None else None
    results: dict[str, Any] = {}
    if options.resume and store is not None:
        for job in jobs:
            path = store / job.file_name
            if path.is_file():
                try:
                    results[job.key] = read_result(path.read_bytes())
                except ValueError as unread:
                    print(f"resuming: {path} does not load ({unread}); its job runs again", flush=True)
        if results:
            print(f"resuming: {len(results)} of {len(jobs)} jobs have results in {store}", flush=True)
    todo = [job for job in jobs if job.key not in results]
    failures: list[str] = []
    start = time.perf_counter()
    for job, result, error in _outcomes(function, todo, options):
        done = len(results) + len(failures) + 1
        if error is not None:
            failures.append(f"{job.key} {json.dumps(job.config, default=str)}: {error}")
            print(f"[{done}/{len(jobs)}] {job.key} FAILED: {error}", flush=True)
            continue
        results[job.key] = result
        if store is not None:
            with atomic_file(store / job.file_name, "wb") as handle:
                handle.write(result_bytes(result))
        elapsed = time.perf_counter() - start
        print(f"[{done}/{len(jobs)}] {job.key}: {describe(result)} ({elapsed:.0f} s)", flush=True)
    if failures:
        hint = " (rerun with --resume to run only these)" if store is not None else ""
        raise JobsFailed(f"{len(failures)} of {len(jobs)} jobs failed{hint}: " + "; ".join(failures))
    return [results[job.key] for job in jobs]


Outcome = tuple[Job, Any, str | None]


def _error_line(error: BaseException) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return " ".join(lines[-1].split())


def _outcomes(function: Callable[[Any], Any], jobs: Sequence[Job], options: JobsArgs) -> Iterator[Outcome]:
    """``(job, result, None)`` or ``(job, None, error line)`` for every job, as they finish."""
    if not jobs:
        return
    module, name = importable(function)
    if options.backend == "ray":
        yield from _ray_outcomes(module, name, jobs, options)
    elif options.workers == 1:
        for job in jobs:
            try:
                yield job, call(module, name, job.argument, options.threads), None
            except Exception as error:
                yield job, None, _error_line(error)
    else:
        with ProcessPoolExecutor(options.workers, mp_context=get_context("spawn")) as pool:
            pending: dict[Future[Any], Job] = {
                pool.submit(call, module, name, job.argument, options.threads): job for job in jobs
            }
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    job = pending.pop(future)
                    failure = future.exception()
                    yield (job, None, _error_line(failure)) if failure else (job, future.result(), None)


def _ray_outcomes(module: str, name: str, jobs: Sequence[Job], options: JobsArgs) -> Iterator[Outcome]:
    try:
        import ray
    except ImportError:
        raise ValueError("the ray backend needs Ray: pip install 'nat-gym[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=options.ray_address, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=options.threads, num_gpus=options.gpus, max_retries=0)(call)
        pending = {task.remote(module, name, job.argument, options.threads): job for job in jobs}
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            for reference in finished:
                job = pending.pop(reference)
                try:
                    yield job, ray.get(reference), None
                except ray.exceptions.RayTaskError as error:
                    yield job, None, _error_line(getattr(error, "cause", None) or error)
    finally:
        if started:
            ray.shutdown()
