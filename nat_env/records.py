"""What nat-gym writes and reads back: atomic files, cache entries, provenance, configuration checks.

Every file the package writes (supernet checkpoints, the decoded-image cache, run folders, benchmark
results) goes through :func:`atomic_file`: a temporary file beside the target, then ``os.replace``, so
an interrupted or failed write leaves the previous version or the new one, never half of one; a failed
write raises :class:`WriteError`, which names the file. A cache entry is read through
:func:`load_cache`, which sets a damaged entry aside so that it is rebuilt. Every record of a
result carries :func:`provenance` (machine, versions, commit), :func:`read_json` reads a record back, and
a run that continues an earlier one compares configurations with :func:`config_differences`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, Any, TypeVar

VERSIONED = ("nat-gym", "torch", "torchvision", "torch-geometric", "gymnasium", "stable-baselines3")
"""Packages whose versions shape a result."""
_OPTIONAL = ("sb3-contrib", "numpy", "scipy", "rliable", "ray")
CORRUPT_SUFFIX = ".corrupt"
"""Added to the name of a cache entry that does not load (:func:`load_cache`)."""
T = TypeVar("T")


class WriteError(OSError):
    """A file could not be written (disk full, file too large, no permission); the target is as it was.

    Args:
        path: the file that was to be written.
        cause: the error of the write.
        existed: whether ``path`` held a file before (which is then intact).
    """

    def __init__(self, path: str | os.PathLike[str], cause: OSError, existed: bool) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), str(path))
        self.path = Path(path)
        before = f"the previous {self.path.name} is intact" if existed else "no partial file was left"
        self.message = f"cannot write {self.path} ({self.strerror}); {before}"

    def __str__(self) -> str:
        return self.message


class CacheWarning(UserWarning):
    """A cache entry did not load: it was set aside (renamed ``*.corrupt``) and is rebuilt."""


class RecordError(ValueError):
    """A record on disk that cannot be read; the message names the file and the cause."""


@contextmanager
def atomic_file(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` that replaces ``path`` when the block ends without error.

    The file is readable by everyone (``0644``), like a file written in place. On an error the
    temporary file is removed and ``path`` is left as it was.

    Raises:
        WriteError: when the file cannot be written (a full disk, a file too large, no permission).
    """
    target = Path(path)
    existed = target.is_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    except OSError as error:
        raise WriteError(target, error, existed) from error
    try:
        with os.fdopen(handle, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes a private file; a result is for everyone to read
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        failed = _failed_write(error)
        if failed is not None:
            raise WriteError(target, failed, existed) from error
        raise


def _failed_write(error: BaseException) -> OSError | None:
    """The write's OSError behind ``error``: itself, or one torch's zip writer turned into a RuntimeError."""
    if isinstance(error, WriteError):
        return None
    if isinstance(error, OSError):
        return error
    if isinstance(error, RuntimeError) and isinstance(error.__context__, OSError):
        return error.__context__
    return None


def atomic_save(save: Callable[[IO[bytes]], None], path: str | os.PathLike[str]) -> Path:
    """Write with ``save(file)`` (``torch.save``, SB3's ``model.save``, ``np.savez``) atomically."""
    with atomic_file(path, "wb") as file:
        save(file)
    return Path(path)


def load_cache(
    path: str | os.PathLike[str], load: Callable[[Path], T], damage: tuple[type[Exception], ...]
) -> T | None:
    """A cache entry read with ``load``, or ``None`` when there is none or it does not load.

    An entry that does not load (``load`` raises one of ``damage``) is set aside, renamed
    ``<name>.corrupt`` rather than deleted so that it can be inspected, with a :class:`CacheWarning`
    that names it; the caller then rebuilds the entry. Errors outside ``damage`` propagate.

    Args:
        path: the cache entry.
        load: reads the entry; raises one of ``damage`` when the file is damaged.
        damage: the errors that mean a damaged file (truncated, garbage, of another format); the
            warning quotes an error's ``reason`` attribute when it has one, else its message.
    """
    entry = Path(path)
    if not entry.is_file():
        return None
    try:
        return load(entry)
    except damage as error:
        aside = entry.with_name(entry.name + CORRUPT_SUFFIX)
        try:
            os.replace(entry, aside)
            where = f"set aside as {aside}"
        except OSError as failure:  # the rebuild's atomic write replaces it all the same
            where = f"could not be set aside ({failure.strerror})"
        cause = " ".join(str(getattr(error, "reason", error)).split())[:200] or type(error).__name__
        warnings.warn(
            f"cache entry {entry} does not load ({cause}); {where}; rebuilding it", CacheWarning, stacklevel=2
        )
        return None


def write_json(path: str | os.PathLike[str], data: Any, sort_keys: bool = True) -> Path:
    """Write ``data`` as indented JSON atomically (values JSON cannot hold are written as text)."""
    with atomic_file(path) as file:
        json.dump(data, file, indent=2, sort_keys=sort_keys, default=str)
        file.write("\n")
    return Path(path)


def read_json(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """A JSON record, or ``None`` where the file does not exist.

    Raises:
        RecordError: for a file that cannot be read or is not JSON.
    """
    target = Path(path)
    if not target.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise RecordError(f"cannot read {target}: {error}") from None
    return data


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
    old, new = plain(saved), plain(current)
    fallback = plain(defaults or {})
    names = sorted((set(old) | set(new)) - set(free))
    return [
        f"{name}: {old.get(name, fallback.get(name))!r} -> {new.get(name, fallback.get(name))!r}"
        for name in names
        if old.get(name, fallback.get(name)) != new.get(name, fallback.get(name))
    ]


def plain(config: Mapping[str, Any]) -> dict[str, Any]:
    """A configuration as JSON gives it back (tuples become lists, other values text), so a saved and a
    new one compare equal."""
    result: dict[str, Any] = json.loads(json.dumps(dict(config), sort_keys=True, default=str))
    return result


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as one mapping with dotted names (``protocol.epochs``), for readable differences."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


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
