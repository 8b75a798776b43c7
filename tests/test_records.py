"""Records on disk: atomic JSON written and read back, configurations compared by dotted setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from nat_env.records import RecordError, config_differences, flatten, read_json, write_json


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
