"""Result files of the benchmarks: provenance, configuration and numbers, written atomically; Markdown tables."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from nat_env.records import provenance, write_json

RESULTS = Path(__file__).resolve().parents[1] / "results"


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
    """A result path: absolute as given, relative under ``benchmarks/results`` (grouped by study)."""
    target = Path(path)
    return target if target.is_absolute() else RESULTS / target


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
