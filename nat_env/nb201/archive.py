"""Reader of the official NATS-Bench topology archive: the source the compact accuracy table is built from.

The archive ``NATS-tss-v1_0-3ffb9-simple/`` (D-X-Y/NATS-Bench) holds one ``<index>.pickle.pbz2`` per
cell and a ``meta.pickle.pbz2``: bz2-compressed pickles of dicts, lists, ``OrderedDict``s and numpy
scalars. They are read with :class:`RestrictedUnpickler`, which builds nothing else, so a tampered file
cannot run code. A record is ``{hp: info}`` for ``hp`` in ``"12"`` and ``"200"`` (training epochs), with

    info["arch_index"], info["arch_str"]
    info["dataset_seed"][dataset]                  -> the seeds trained on that dataset
    info["all_results"][(dataset, seed)]["epochs"] -> E (12 or 200)
    info["all_results"][(dataset, seed)]["eval_acc1es"]["<eval name>@<E - 1>"] -> top-1 (%)

:data:`SOURCES` says which dataset and evaluation name gives each column of the table; a column is the
mean over every seed of that dataset.
"""

from __future__ import annotations

import bz2
import collections
import importlib
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from nat_env import ops as _ops
from nat_env.genotypes import parse_nb201
from nat_env.nb201.schema import EPOCHS, TableRow, column_name

ARCHIVE_NAME = "NATS-tss-v1_0-3ffb9-simple"
ARCHIVE_SOURCE = "NATS-Bench's repository, github.com/D-X-Y/NATS-Bench, whose README links the archive"
"""Where the NATS-Bench topology archive is published."""
"""The directory name of the official archive this module reads."""
META_NAME = "meta.pickle.pbz2"
SUFFIX = ".pickle.pbz2"

SOURCES: dict[tuple[str, str], tuple[str, str]] = {
    ("cifar10", "val"): ("cifar10-valid", "x-valid"),
    ("cifar10", "test"): ("cifar10", "ori-test"),
    ("cifar100", "val"): ("cifar100", "x-valid"),
    ("cifar100", "test"): ("cifar100", "x-test"),
    ("imagenet16", "val"): ("ImageNet16-120", "x-valid"),
    ("imagenet16", "test"): ("ImageNet16-120", "x-test"),
}
"""(dataset, split) of the table → (archive dataset, evaluation name).

CIFAR-10 validation is the ``cifar10-valid`` model (trained on half the training set) on the other half;
CIFAR-10 test is the ``cifar10`` model (trained on the whole training set) on the test set. CIFAR-100
and ImageNet16-120 split their test sets into ``x-valid`` and ``x-test`` halves.
"""


class ArchiveError(ValueError):
    """An archive file that is not a NATS-Bench topology record as this reader knows it."""


def _numpy_multiarray() -> Any:
    """numpy's ``multiarray`` module, ``numpy._core`` since numpy 2 and ``numpy.core`` before."""
    try:
        return importlib.import_module("numpy._core.multiarray")
    except ImportError:  # numpy < 2
        return importlib.import_module("numpy.core.multiarray")


_MULTIARRAY = _numpy_multiarray()
_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "dict"): dict,
    ("builtins", "list"): list,
    ("builtins", "tuple"): tuple,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("numpy", "dtype"): np.dtype,
    ("numpy", "ndarray"): np.ndarray,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_module, "scalar")] = _MULTIARRAY.scalar
    _ALLOWED[(_module, "_reconstruct")] = _MULTIARRAY._reconstruct


class ForbiddenGlobalError(pickle.UnpicklingError):
    """A pickle that names a global outside the reader's allowed set: a tampered or foreign file."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only plain containers and numpy scalars, arrays and dtypes.

    Raises:
        ForbiddenGlobalError: when the pickle names any other global (``os.system``, a class, ...).
    """

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise ForbiddenGlobalError(
                f"refusing to load the global {module}.{name}: NATS-Bench archive files hold only dicts, "
                "lists, OrderedDicts and numpy values"
            ) from None


def restricted_loads(data: bytes) -> Any:
    """Unpickle bytes with :class:`RestrictedUnpickler`."""
    return RestrictedUnpickler(io.BytesIO(data)).load()


def load_file(path: str | Path) -> Any:
    """Decompress and unpickle one ``.pickle.pbz2`` file of the archive, safely.

    Raises:
        OSError: if the file cannot be read.
        ArchiveError: if the file is not bz2 data or not a pickle.
        ForbiddenGlobalError: if the pickle names a global outside the allowed set.
    """
    path = Path(path)
    compressed = path.read_bytes()
    try:
        data = bz2.decompress(compressed)
    except (OSError, ValueError) as error:
        raise ArchiveError(f"{path}: not a bz2-compressed file ({error})") from None
    try:
        return restricted_loads(data)
    except ForbiddenGlobalError as error:
        raise ForbiddenGlobalError(f"{path}: {error}") from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
    ) as error:
        raise ArchiveError(f"{path}: not a valid pickle ({type(error).__name__}: {error})") from None


def load_meta(archive_dir: str | Path) -> list[str]:
    """The NAS-Bench-201 strings of every cell, by official index, from ``meta.pickle.pbz2``.

    Raises:
        ArchiveError: if the meta file lacks ``meta_archs``.
    """
    path = Path(archive_dir) / META_NAME
    meta = load_file(path)
    try:
        archs = meta["meta_archs"]
    except (KeyError, TypeError):
        raise ArchiveError(f"{path}: no 'meta_archs' list") from None
    return [str(arch) for arch in archs]


def record_files(archive_dir: str | Path) -> list[Path]:
    """The per-cell files of an archive directory (``<index>.pickle.pbz2``), sorted by index."""
    files = [p for p in Path(archive_dir).glob(f"*{SUFFIX}") if p.name[: -len(SUFFIX)].isdigit()]
    return sorted(files, key=lambda p: int(p.name[: -len(SUFFIX)]))


def _mean_accuracy(info: Any, dataset: str, eval_name: str) -> float:
    """Mean over the dataset's seeds of the final-epoch top-1 of one evaluation."""
    values = []
    for seed in info["dataset_seed"][dataset]:
        result = info["all_results"][(dataset, seed)]
        values.append(float(result["eval_acc1es"][f"{eval_name}@{int(result['epochs']) - 1}"]))
    if not values:
        raise KeyError(f"no seeds for {dataset}")
    return float(np.mean(values))


def extract(record: Any, source: str | Path = "<record>") -> TableRow:
    """The table row of one archive record (rank left to :func:`nat_env.nb201.table.write_table`).

    Args:
        record: the unpickled content of one ``<index>.pickle.pbz2``.
        source: the file it came from, named in error messages.

    Raises:
        ArchiveError: if the record lacks an entry the table needs, or its two fidelities disagree
            about the cell.
    """
    accuracies: dict[str, float] = {}
    try:
        infos = {epochs: record[str(epochs)] for epochs in EPOCHS}
        index, arch = int(infos[200]["arch_index"]), str(infos[200]["arch_str"])
        for epochs, info in infos.items():
            if (int(info["arch_index"]), str(info["arch_str"])) != (index, arch):
                raise ArchiveError(f"{source}: hp={epochs} describes another cell than hp=200")
            for (dataset, split), (archive_dataset, eval_name) in SOURCES.items():
                value = _mean_accuracy(info, archive_dataset, eval_name)
                accuracies[column_name(dataset, split, epochs)] = value
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ArchiveError):
            raise
        raise ArchiveError(f"{source}: not a NATS-Bench topology record (missing {error})") from None
    try:
        genotype = parse_nb201(arch)
    except ValueError as error:
        raise ArchiveError(f"{source}: {error}") from None
    return TableRow(index, tuple(_ops.NB201_OPS.index(op) for op in genotype.ops), accuracies)


def read_row(path: str | Path) -> TableRow:
    """The table row of one archive file.

    Raises:
        ArchiveError: if the file is not a record, or its index disagrees with its file name.
    """
    path = Path(path)
    row = extract(load_file(path), path)
    stem = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else ""
    if stem.isdigit() and int(stem) != row.index:
        raise ArchiveError(f"{path}: the file name says index {int(stem)}, the record says {row.index}")
    return row
