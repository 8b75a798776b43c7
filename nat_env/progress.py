"""Progress of long phases (supernet warm-up, scoring): what runs and for how long, said before it starts.

Beside the data flow. A :class:`Phase` logs a line before its first unit of work (what it does and how
many units), a line with the expected length once the first few units are timed (the rate measured on
them times the units: an estimate, and the line says so; left out when the phase will be over within
``interval_s``), then a line every ``interval_s`` seconds and one at the end. The caller sizes its chunks of work with :meth:`Phase.next_chunk`, so a report
comes after the timed units and then about every ``interval_s`` seconds. ``nat`` shows the ``nat_env``
and ``agents`` loggers at INFO on stderr.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

LOGGERS = ("nat_env", "agents")
"""The loggers that report long phases."""


def show_progress(prefix: str = "") -> None:
    """Show the long phases' lines (the :data:`LOGGERS` at INFO) on stderr, each after ``prefix``: what
    ``nat`` does for every command and a benchmark's job process for its job."""
    logging.basicConfig(format=f"{prefix}%(message)s")
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def duration(seconds: float) -> str:
    """A length of time in the largest unit that reads well: ``0.4 s``, ``42 s``, ``3.5 min``, ``2.1 h``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def plural(unit: str, count: int) -> str:
    """``batch`` → ``batches``, ``input`` → ``inputs`` (unless ``count`` is 1)."""
    if count == 1:
        return unit
    return f"{unit}es" if unit.endswith(("ch", "s", "sh", "x")) else f"{unit}s"


class Phase:
    """One long phase of work, counted in units (batches, inputs), reported on a logger.

    Args:
        logger: where the lines go (at INFO); ``None`` keeps the phase silent (e.g. on ranks other
            than 0).
        what: the phase's name, the start of every line (``supernet warm-up``).
        total: units of work in the phase.
        unit: one unit's name, singular (``batch``).
        timed_units: units timed before the estimate.
        interval_s: seconds between progress lines.
        clock: seconds (a fake in tests).
    """

    def __init__(
        self,
        logger: logging.Logger | None,
        what: str,
        total: int,
        unit: str,
        *,
        timed_units: int = 3,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.logger, self.what, self.total, self.unit = logger, what, total, unit
        self.timed_units, self.interval_s, self.clock = max(1, timed_units), interval_s, clock
        self.done = 0
        self.start_time = self.last_report = 0.0
        self.seconds_per_unit: float | None = None

    def _log(self, message: str) -> None:
        if self.logger is not None:
            self.logger.info("%s: %s", self.what, message)

    def start(self, detail: str = "") -> None:
        """Say what the phase does before it does it; ``detail`` follows the unit count."""
        self.start_time = self.last_report = self.clock()
        self._log(
            f"{self.total:,} {plural(self.unit, self.total)}{detail}; "
            f"its length is estimated from the first {min(self.timed_units, self.total)}"
        )

    def next_chunk(self, multiple: int = 1) -> int:
        """Units to run before the next report: the timed units first, then about ``interval_s`` worth.

        Args:
            multiple: chunks are whole multiples of this (e.g. genotypes per grouped step), but for the
                last one.
        """
        left = self.total - self.done
        if self.seconds_per_unit is None:
            wanted = self.timed_units
        else:
            wanted = max(1, int(self.interval_s / max(self.seconds_per_unit, 1e-9)))
        return min(left, multiple * math.ceil(wanted / multiple))

    def advance(self, done: int, note: str = "") -> None:
        """Record that ``done`` units are finished in all; report the estimate, progress, or the end.

        Args:
            done: units finished since :meth:`start`.
            note: appended to a progress line (``loss 2.301``).
        """
        self.done = done
        now = self.clock()
        elapsed = now - self.start_time
        extra = f", {note}" if note else ""
        if self.seconds_per_unit is None and done > 0:
            self.seconds_per_unit = elapsed / done
            if done < self.total and self.seconds_per_unit * self.total >= self.interval_s:
                expected = self.seconds_per_unit * self.total
                self._log(
                    f"about {duration(self.seconds_per_unit)} per {self.unit} on the first {done}, so "
                    f"about {duration(expected)} in all (an estimate from {'that' if done == 1 else 'those'} "
                    f"{plural(self.unit, done)})"
                )
                self.last_report = now
                return
        if done > 0:
            self.seconds_per_unit = elapsed / done
        if done >= self.total:
            self._log(
                f"{done:,}/{self.total:,} {plural(self.unit, self.total)} done in {duration(elapsed)}{extra}"
            )
        elif done > 0 and now - self.last_report >= self.interval_s:
            left = elapsed / done * (self.total - done)
            self._log(
                f"{done:,}/{self.total:,} {plural(self.unit, self.total)} ({100 * done / self.total:.0f} %), "
                f"{duration(elapsed)} so far, about {duration(left)} left{extra}"
            )
            self.last_report = now
