"""Records on disk: a failed write names its file and keeps the old one; damaged caches are set aside;
JSON read back; configurations compared by dotted setting."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import IO

import pytest
import torch

from nat_env.records import (
    CacheWarning,
    RecordError,
    WriteError,
    atomic_save,
    config_differences,
    flatten,
    load_cache,
    read_json,
    write_json,
)


def too_large(file: IO[bytes]) -> None:
    file.write(b"half of it")
    raise OSError(errno.EFBIG, "File too large")


def test_a_failed_write_names_the_file_and_leaves_the_previous_version(tmp_path: Path) -> None:
    target = write_json(tmp_path / "result.json", {"version": 1})
    with pytest.raises(
        WriteError,
        match=r"cannot write .*result\.json \(File too large\); the previous result\.json is intact",
    ):
        atomic_save(too_large, target)
    assert json.loads(target.read_text()) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no partial file left


def test_a_failed_first_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="no partial file was left") as raised:
        atomic_save(too_large, tmp_path / "new.bin")
    assert raised.value.errno == errno.EFBIG
    assert raised.value.path == tmp_path / "new.bin"
    assert not list(tmp_path.iterdir())


def test_a_failed_write_inside_torch_save_is_a_write_error(tmp_path: Path) -> None:
    class FailingFile:  # torch's zip writer turns the OSError of write into a RuntimeError
        def __init__(self, file: IO[bytes]) -> None:
            self.file = file

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self) -> None:
            self.file.flush()

    def save(file: IO[bytes]) -> None:
        torch.save({"w": torch.zeros(1000)}, FailingFile(file))  # type: ignore[arg-type]

    with pytest.raises(WriteError, match=r"weights\.pt \(No space left on device\)"):
        atomic_save(save, tmp_path / "weights.pt")


def test_a_cache_entry_loads_or_is_set_aside(tmp_path: Path) -> None:
    entry = tmp_path / "entry.json"
    assert load_cache(entry, lambda p: json.loads(p.read_text()), (ValueError,)) is None  # none yet
    entry.write_text('{"a": 1}')
    assert load_cache(entry, lambda p: json.loads(p.read_text()), (ValueError,)) == {"a": 1}
    entry.write_text('{"a": ')
    with pytest.warns(
        CacheWarning, match=r"cache entry .*entry\.json does not load .*set aside as .*entry\.json\.corrupt"
    ):
        assert load_cache(entry, lambda p: json.loads(p.read_text()), (ValueError,)) is None
    assert not entry.exists()
    assert (tmp_path / "entry.json.corrupt").read_text() == '{"a": '  # kept, not deleted


def test_errors_outside_damage_propagate(tmp_path: Path) -> None:
    entry = tmp_path / "entry.json"
    entry.write_text("{}")

    def refuse(path: Path) -> None:
        raise KeyError("another configuration")

    with pytest.raises(KeyError):
        load_cache(entry, refuse, (ValueError,))
    assert entry.exists()


def test_a_record_reads_back_as_written(tmp_path: Path) -> None:
    path = write_json(tmp_path / "a" / "record.json", {"seeds": (0, 1), "name": "x"})
    assert read_json(path) == {"name": "x", "seeds": [0, 1]}
    assert read_json(tmp_path / "absent.json") is None


def test_an_unreadable_record_names_its_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(RecordError, match=r"cannot read .*config\.json"):
        read_json(path)


def test_nested_settings_differ_by_dotted_name() -> None:
    saved = {"seed": 0, "protocol": {"epochs": 1, "layers": 5}}
    current = {"seed": 1, "protocol": {"epochs": 2, "layers": 5}}
    assert flatten(saved) == {"seed": 0, "protocol.epochs": 1, "protocol.layers": 5}
    assert config_differences(flatten(saved), flatten(current)) == ["protocol.epochs: 1 -> 2", "seed: 0 -> 1"]
