"""Shared fixtures: paths of the offline data beside the checkout, found as CI finds them."""

from __future__ import annotations

import gzip
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ENVIRONMENT = dict(os.environ)
"""The environment the suite started with (data variables are cleared for each test, see below)."""
DATA_VARIABLES = ("NAT_CIFAR10_ARCHIVE", "NAT_DATA_DIR")


def shared_file(env_var: str, relative: str) -> Path | None:
    """A data file from an environment variable or ``../shared`` beside the repo, if it exists."""
    value = ENVIRONMENT.get(env_var)
    path = Path(value) if value else SHARED / relative
    return path if path.exists() else None


def shared_or_skip(env_var: str, relative: str, absent: str) -> Path:
    """:func:`shared_file`, or skip the test with ``absent`` and where to put the data."""
    path = shared_file(env_var, relative)
    if path is None:
        pytest.skip(f"{absent}: set {env_var} or put ../shared/{relative} beside the repo")
    return path


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Torch on one thread for one test: two threads contend on two shared cores, and bitwise-equal
    resumes need the same thread count in both sessions."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread for a module of supernet tests, and the process-wide supernets forgotten after.

    Two shared CPU cores: two torch threads contend with other processes and run about ten times slower.
    """
    import torch

    from nat_env.supernet.setup import clear_cache

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    clear_cache()


@pytest.fixture(autouse=True)
def _no_ambient_cifar(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests name their CIFAR-10 data explicitly: variables set for the Makefile's runs must not leak in."""
    for name in DATA_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def reference_genotypes_json() -> Path:
    path = SHARED / "reference" / "genotypes.json"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared reference genotypes sit beside the checkout in CI)")
    return path


@pytest.fixture(scope="session")
def real_table() -> Path:
    """The real NAS-Bench-201 compact table (``NAT_NB201_TABLE`` or ``../shared``), else skip."""
    return shared_or_skip(
        "NAT_NB201_TABLE", "data/nb201/nb201_tss_accuracies.csv", "the NAS-Bench-201 table is absent"
    )


@pytest.fixture(scope="session")
def synthetic_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete table in the compact schema with synthetic accuracies (no shared data needed)."""
    from nat_env.nb201.cells import N_CELLS, live_nodes, ops_of
    from nat_env.nb201.schema import TableRow, write_table

    rng = np.random.default_rng(0)
    ops = ops_of(np.arange(N_CELLS))
    connected = live_nodes(ops)[:, 3]
    quality = (ops >= 2).sum(1) + 0.5 * (ops == 1).sum(1)
    rows = []
    for index, (cell, ok, q) in enumerate(zip(ops, connected, quality, strict=True)):
        values = {}
        for prefix in ("c10", "c100", "in16"):
            for epochs in (200, 12):
                base = min(60 + 5 * q + rng.normal(0, 1), 99.0) if ok else 10.0
                values[f"{prefix}_val_{epochs}"] = float(base)
                values[f"{prefix}_test_{epochs}"] = float(base + (rng.normal(0, 0.5) if ok else 0.0))
        rows.append(TableRow(index, tuple(cell.tolist()), values, None))
    path = tmp_path_factory.mktemp("nb201") / "synthetic.csv"
    write_table(path, rows)
    return path


@pytest.fixture(scope="session")
def any_table(request: pytest.FixtureRequest) -> Path:
    """The real table when present, else the synthetic one."""
    path = shared_file("NAT_NB201_TABLE", "data/nb201/nb201_tss_accuracies.csv")
    return path if path is not None else Path(request.getfixturevalue("synthetic_table"))


@pytest.fixture(scope="session")
def damaged_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files where a supernet checkpoint is expected, none of them one, by kind of damage."""
    import torch

    from nat_env.supernet.checkpoint import save_checkpoint

    folder = tmp_path_factory.mktemp("damaged-checkpoints")
    good = folder / "good.pt"
    save_checkpoint(good, {"weight": torch.zeros(64, 64)}, {"channels": 8})
    data = good.read_bytes()
    contents = {
        "random": np.random.default_rng(0).bytes(4096),
        "truncated": data[: len(data) // 2],
        "empty": b"",
        "gzip": gzip.compress(data),
        "pickle": pickle.dumps({"config_json": "{}", "state_dict": {}}),
    }
    files = {kind: folder / f"{kind}.pt" for kind in [*contents, "foreign", "state_dict_only"]}
    for kind, content in contents.items():
        files[kind].write_bytes(content)
    torch.save([torch.zeros(3)], files["foreign"])
    torch.save({"weight": torch.zeros(3)}, files["state_dict_only"])  # torch.save(model.state_dict())
    return files
