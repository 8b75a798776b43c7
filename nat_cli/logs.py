"""SB3's logger for ``nat train``: a CSV file that a resumed run continues, and TensorBoard if installed."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

from stable_baselines3.common.logger import CSVOutputFormat, KVWriter, Logger, make_output_format

from nat_cli.run_dir import PROGRESS
from nat_env.records import atomic_file

STEP_KEY = "time/total_timesteps"
"""The CSV column that holds the env step of a row."""


class ContinuedCSVOutputFormat(CSVOutputFormat):
    """SB3's CSV writer, appending to an existing file (SB3's own truncates it).

    Args:
        filename: the CSV file; its header, if any, gives the known columns.
    """

    def __init__(self, filename: str | Path) -> None:
        path = Path(filename)
        if not path.exists() or path.stat().st_size == 0:
            super().__init__(str(path))
            return
        self.file = open(path, "r+")  # noqa: SIM115 - closed by SB3's close()
        header = self.file.readline().rstrip("\n")
        self.keys = header.split(",") if header else []
        self.separator = ","
        self.quotechar = '"'
        self.file.seek(0, 2)


def truncate_progress(path: str | Path, timesteps: int) -> int:
    """Drop the rows logged after ``timesteps`` (steps a resumed run will take again); rows kept."""
    path = Path(path)
    if not path.exists():
        return 0
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    if not rows:
        return 0
    header, body = rows[0], rows[1:]
    column = header.index(STEP_KEY) if STEP_KEY in header else None
    kept = [row for row in body if column is None or not row[column] or float(row[column]) <= timesteps]
    with atomic_file(path) as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(kept)
    return len(kept)


def make_logger(log_dir: str | Path) -> Logger:
    """A logger writing ``progress.csv`` (continued) and TensorBoard events when tensorboard is installed."""
    formats: list[KVWriter] = [ContinuedCSVOutputFormat(Path(log_dir) / PROGRESS)]
    if importlib.util.find_spec("tensorboard") is not None:
        formats.append(make_output_format("tensorboard", str(log_dir)))
    return Logger(folder=str(log_dir), output_formats=formats)
