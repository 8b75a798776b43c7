"""The ``nat`` command line: train, transform, scratch, pretrain, cost, table and bench, on top of nat_env and agents.

The command line is the one place that composes all three packages: it may import :mod:`nat_env`,
:mod:`agents` and :mod:`benchmarks`; none of them imports it. Entry point: :func:`nat_cli.main.main`.
"""

from __future__ import annotations

__all__ = ["CommandError"]


class CommandError(Exception):
    """A failure the user can fix (a missing file, a refused resume): reported as one line, exit 1."""
