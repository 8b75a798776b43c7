"""Result files of the benchmarks: provenance, configuration and numbers, written atomically; Markdown tables."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from nat_env.records import provenance, write_json

RESULTS = Path(__file__).resolve().parents[1] / "results"

A = TypeVar("A")


def timed(run: Callable[[A], dict[str, Any]], args: A) -> dict[str, Any]:
    """``run(args)``'s results with its wall time as ``wall_s``, nat-gym's progress logged meanwhile (a
    supernet warm-up or a from-scratch epoch says so as it goes)."""
    logging.basicConfig(format="%(message)s")
    logging.getLogger("nat_env").setLevel(logging.INFO)
    start = time.perf_counter()
    results = run(args)
    results["wall_s"] = time.perf_counter() - start
    return results


def run_and_write(
    run: Callable[[A], dict[str, Any]],
    args: A,
    table: Callable[[dict[str, Any]], str],
    heading: Callable[[A, dict[str, Any]], str],
) -> Path:
    """Run a study (:func:`timed`), print its Markdown table and write its result file (``args.out``)
    and, beside it, the table under ``heading(args, results)`` as a ``.md`` file.

    Returns:
        The result file.
    """
    results = timed(run, args)
    markdown = table(results)
    print(markdown)
    path = write(args.out, args, results)  # type: ignore[attr-defined]
    path.with_suffix(".md").write_text(heading(args, results) + "\n\n" + markdown)
    print(f"wrote {path} and {path.with_suffix('.md')}")
    return path


def write(path: str | Path, config: Any, results: dict[str, Any]) -> Path:
    """Write ``{"created", "machine", "config", "results"}`` as JSON, atomically.

    Args:
        path: the result file; a relative path is taken under ``benchmarks/results``.
        config: the dataclass of arguments (or a dict) that produced the results.
        results: the numbers.
    """
    target = resolve(path)
    machine = provenance()
    payload = {
        "created": machine.pop("created"),
        "machine": machine,
        "config": (
            dataclasses.asdict(config)
            if dataclasses.is_dataclass(config) and not isinstance(config, type)
            else dict(config)
        ),
        "results": results,
    }
    return write_json(target, payload, sort_keys=False)


def resolve(path: str | Path) -> Path:
    """A result path: absolute as given; relative, under ``benchmarks/results`` (grouped by study), unless it
    names a place there from the working directory already (``benchmarks/results/end_to_end/x.json`` from the
    repository's root is ``end_to_end/x.json``, not ``benchmarks/results/benchmarks/results/...``)."""
    target = Path(path)
    if target.is_absolute():
        return target
    here = (Path.cwd() / target).resolve()
    return here if here.is_relative_to(RESULTS) else RESULTS / target


def output_path(out: str, suffix: str, stem_suffix: str = "") -> Path:
    """A result path beside ``out`` (resolved as :func:`write` does) with another suffix."""
    target = resolve(out)
    return target.with_name(target.stem + stem_suffix + suffix)


def plain(config: Any) -> dict[str, Any]:
    """A configuration dataclass as JSON gives it back (tuples become lists), for comparisons."""
    data: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(config), default=str))
    return data


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return f"{value:+.2f}" if isinstance(value, float) else str(value)
