"""Result files of the benchmarks: provenance, configuration and numbers, written atomically; Markdown tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from nat_env.records import provenance, write_json

RESULTS = Path(__file__).resolve().parent / "results"


def write(path: str | Path, config: Any, results: dict[str, Any]) -> Path:
    """Write ``{"created", "machine", "config", "results"}`` as JSON, atomically.

    Args:
        path: the result file; a bare name goes into ``benchmarks/results``.
        config: the dataclass of arguments (or a dict) that produced the results.
        results: the numbers.
    """
    target = Path(path)
    if target.parent == Path("."):
        target = RESULTS / target
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


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return f"{value:+.2f}" if isinstance(value, float) else str(value)
