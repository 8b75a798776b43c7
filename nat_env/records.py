"""What nat-gym writes to disk: atomic files, the provenance stored with every result, configuration checks.

Every file the package writes (supernet checkpoints, the decoded-image cache, run folders, benchmark
results) goes through :func:`atomic_file`: a temporary file beside the target, then ``os.replace``, so
an interrupted write leaves the previous version or the new one, never half of one. Every record of a
result carries :func:`provenance` (machine, versions, commit), and a run that continues an earlier one
compares configurations with :func:`config_differences`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, Any

VERSIONED = ("nat-gym", "torch", "torchvision", "torch-geometric", "gymnasium", "stable-baselines3")
"""Packages whose versions shape a result."""
_OPTIONAL = ("sb3-contrib", "numpy", "scipy", "rliable", "ray")


@contextmanager
def atomic_file(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` that replaces ``path`` when the block ends without error.

    The file is readable by everyone (``0644``), like a file written in place. On an error the
    temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes a private file; a result is for everyone to read
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_save(save: Callable[[IO[bytes]], None], path: str | os.PathLike[str]) -> Path:
    """Write with ``save(file)`` (``torch.save``, SB3's ``model.save``, ``np.savez``) atomically."""
    with atomic_file(path, "wb") as file:
        save(file)
    return Path(path)


def write_json(path: str | os.PathLike[str], data: Any, sort_keys: bool = True) -> Path:
    """Write ``data`` as indented JSON atomically (values JSON cannot hold are written as text)."""
    with atomic_file(path) as file:
        json.dump(data, file, indent=2, sort_keys=sort_keys, default=str)
        file.write("\n")
    return Path(path)


def versions() -> dict[str, str]:
    """Versions of Python and of the installed packages that shape a result (``absent`` if missing)."""
    found = {"python": platform.python_version()}
    for name in (*VERSIONED, *_OPTIONAL):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name in VERSIONED:
                found[name] = "absent"
    return found


def provenance() -> dict[str, Any]:
    """What produced a result: the time, platform, CPU, cores, torch threads, GPU (if any), versions and git commit."""
    import torch

    record: dict[str, Any] = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "versions": versions(),
        "git_commit": _git_commit(),
    }
    if torch.cuda.is_available():
        record["gpu"] = torch.cuda.get_device_name(0)
        record["cuda"] = torch.version.cuda
    return record


def config_differences(
    saved: Mapping[str, Any],
    current: Mapping[str, Any],
    free: Iterable[str] = (),
    defaults: Mapping[str, Any] | None = None,
) -> list[str]:
    """The settings in which two recorded configurations differ, as ``name: saved -> current``.

    Both are compared as JSON gives them back (tuples become lists). A setting missing from one side,
    because it was written before the setting existed, counts as its value in ``defaults``.

    Args:
        saved: the configuration stored with the earlier run or file.
        current: the configuration asked for now.
        free: settings allowed to differ (budgets, output paths, display options).
        defaults: values of settings missing from either side; without it a missing setting differs
            from any value but ``None``.
    """
    old, new = _plain(saved), _plain(current)
    fallback = _plain(defaults or {})
    names = sorted((set(old) | set(new)) - set(free))
    return [
        f"{name}: {old.get(name, fallback.get(name))!r} -> {new.get(name, fallback.get(name))!r}"
        for name in names
        if old.get(name, fallback.get(name)) != new.get(name, fallback.get(name))
    ]


def _plain(config: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(dict(config), sort_keys=True, default=str))
    return result


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str | None:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent,
        )
    except OSError:
        return None
    return found.stdout.strip() or None
