"""Training callbacks of ``nat train``: atomic checkpoints and a plain progress line.

Checkpoints are taken when a rollout starts (and when training ends), i.e. right after an update: the
saved weights then account for every env step counted in ``num_timesteps``, so resuming from a checkpoint
repeats nothing and skips nothing. A checkpoint that cannot be written (a full disk) ends training with a
message that names it and the intact checkpoint before it.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import IO, TextIO, cast

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback

from nat_cli import CommandError
from nat_cli.run_dir import FINAL_MODEL, checkpoint_path, latest_checkpoint
from nat_env.records import WriteError, atomic_save


def save_model(model: BaseAlgorithm, path: str | Path) -> Path:
    """``model.save`` to ``path`` atomically (SB3's zip: JSON data plus ``.pth`` weights)."""

    def write(file: IO[bytes]) -> None:
        model.save(cast(io.BufferedIOBase, file))

    return atomic_save(write, path)


class CheckpointCallback(BaseCallback):
    """Saves ``checkpoints/step_N.zip`` every ``every`` env steps and at the end, plus ``model.zip``.

    Raises:
        CommandError: (from ``learn``) when a file cannot be written; the message names it and the last
            checkpoint, which the atomic write left intact.

    Args:
        log_dir: the run folder.
        every: env steps between checkpoints (rounded up to whole rollouts); 0 saves only at the end.
    """

    def __init__(self, log_dir: str | Path, every: int) -> None:
        super().__init__()
        self.log_dir = Path(log_dir)
        self.every = every
        self.last_saved = -1
        self.saved: list[Path] = []

    def _on_training_start(self) -> None:
        self.last_saved = self.num_timesteps

    def _on_rollout_start(self) -> None:
        if self.every and self.num_timesteps - self.last_saved >= self.every:
            self._save()

    def _on_step(self) -> bool:
        return True

    def _on_training_end(self) -> None:
        if self.num_timesteps != self.last_saved or not self.saved:
            self._save()
        self._write(self.log_dir / FINAL_MODEL)

    def _save(self) -> None:
        self.saved.append(self._write(checkpoint_path(self.log_dir, self.num_timesteps)))
        self.last_saved = self.num_timesteps

    def _write(self, path: Path) -> Path:
        try:
            return save_model(self.model, path)
        except WriteError as error:
            latest = latest_checkpoint(self.log_dir)
            intact = (
                f"the last checkpoint, {latest[1]}, is intact and --resume continues from it"
                if latest is not None
                else "no checkpoint was written before"
            )
            raise CommandError(f"{error}; {intact}") from error


class PlainProgressCallback(BaseCallback):
    """One line per ``interval_s`` seconds (and at the end): steps, steps per second, mean reward.

    For terminals without tqdm and rich, and for logs; ``nat train`` uses SB3's progress bar otherwise.
    Learners stop after a whole update, so the target is ``total_timesteps`` rounded up to whole updates
    (the first line says so when that differs), and the share never passes 100 %.

    Args:
        total_timesteps: the target step count.
        interval_s: seconds between lines.
        stream: where lines go.
    """

    def __init__(self, total_timesteps: int, interval_s: float = 10.0, stream: TextIO | None = None) -> None:
        super().__init__()
        self.total_timesteps = total_timesteps
        self.interval_s = interval_s
        self.stream = stream or sys.stderr
        self.start_time = 0.0
        self.start_steps = 0
        self.target = total_timesteps
        self.last_print = 0.0

    def _on_training_start(self) -> None:
        self.start_time = self.last_print = time.perf_counter()
        self.start_steps = self.num_timesteps
        per_update = int(getattr(self.model, "n_steps", 1)) * self.model.n_envs
        updates = -(-(self.total_timesteps - self.start_steps) // per_update)
        self.target = self.start_steps + max(updates, 0) * per_update
        if self.target != self.total_timesteps:
            print(
                f"--total-timesteps {self.total_timesteps} rounds up to {self.target}: "
                f"learners update after whole rollouts of {per_update} env steps",
                file=self.stream,
                flush=True,
            )
        self._print()

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        if time.perf_counter() - self.last_print >= self.interval_s:
            self._print()

    def _on_training_end(self) -> None:
        self._print()

    def _print(self) -> None:
        self.last_print = now = time.perf_counter()
        elapsed = now - self.start_time
        sps = (self.num_timesteps - self.start_steps) / elapsed if elapsed > 0 else 0.0
        rewards = [info["r"] for info in (self.model.ep_info_buffer or [])]
        mean = f", mean reward {np.mean(rewards):+.4f}" if rewards else ""
        share = min(100.0, 100 * self.num_timesteps / max(1, self.target))
        print(
            f"step {self.num_timesteps}/{self.target} ({share:.0f} %), {sps:.0f} steps/s{mean}",
            file=self.stream,
            flush=True,
        )
