"""``nat pretrain``: train the supernet of a supernet environment for a budget and write its checkpoint.

One process trains as the environment's own warm-up does. Under ``torchrun --nproc_per_node N`` (one
machine) or ``torchrun --nnodes M --node-rank I --rdzv-endpoint HOST:PORT ...`` (several) the ranks train
one supernet with DistributedDataParallel (gloo on CPU, NCCL on GPUs): the same genotype on every rank
at each step, the preset's batch split evenly among them, rank 0 writing the checkpoint atomically.
``gym.make(ENV, preset=..., checkpoint=PATH)`` then loads it; without ``--out`` it goes where the
environment's cache looks, so ``gym.make`` of the same configuration and ``warmup_steps`` equal to
``--batches`` finds it without ``checkpoint``. Where the env's reward is calibrated (the preset's
``nb201_calibration``, or ``calibration_landmarks=K`` among the overrides), rank 0 then fits the reward's
landmark calibration (:mod:`nat_env.supernet.calibration`) and stores it in the checkpoint; an env made
with ``checkpoint=`` and the same ``calibration_*`` settings uses it (``calibration_landmarks=0``: none).

    torchrun --standalone --nproc_per_node 2 -m nat_cli pretrain --preset tiny --batches 20 --out F
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nat_env.envs import SUPERNET_IDS
from nat_env.flags import positive_int
from nat_env.records import provenance

SPACES = {"NAT-CIFAR10-v0": ("darts", "paper"), "NAT-NB201-Supernet-CIFAR10-v0": ("nb201", "cpu-small")}
"""Each supernet environment's cell space and default preset."""


@dataclass
class PretrainArgs:
    """Configuration of ``nat pretrain`` (the checkpoint records the training configuration)."""

    env: str = field(default="NAT-CIFAR10-v0", metadata={"choices": SUPERNET_IDS})
    """The environment whose supernet is trained."""
    preset: str | None = None
    """Supernet preset (default: the environment's: paper for NAT-CIFAR10-v0, cpu-small for the NAS-Bench-201 supernet)."""
    batches: int | None = field(default=None, metadata={"type": positive_int})
    """Training budget in global batches, also the cosine horizon (default: the preset's warmup_steps)."""
    out: str | None = None
    """Checkpoint file (default: the environment's cache file for this configuration and warmup_steps = --batches)."""
    transitions: str = "nat"
    """nat or nat++ (picks the DARTS supernet's op set)."""
    seed: int = 0
    """Seed of the 40/60 split, the initialisation and the training draws (shared by every rank)."""
    device: str = "auto"
    """auto (CUDA when available), cpu or cuda; under torchrun a CUDA rank uses cuda:LOCAL_RANK."""
    cache_dir: str | None = None
    """Decoded images and the default checkpoint location (NAT_CACHE_DIR or ~/.cache/nat-gym)."""
    data_root: str | None = None
    """CIFAR-10 folder; default NAT_DATA_DIR."""
    archive: str | None = None
    """A .tar.gz or folder of class-named images; default NAT_CIFAR10_ARCHIVE."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Preset, training or calibration fields, as gym.make takes them (batch_size=128 lr=0.02 sampler=unique
    calibration_landmarks=0)."""


ARGS = PretrainArgs
"""The flags of ``nat pretrain`` (:func:`nat_cli.main.add_command`)."""


def calibrate_checkpoint(spec: Any, out: Path) -> None:
    """Fit the reward calibration of ``spec`` on the supernet just written to ``out`` and store it there."""
    from nat_env.supernet.calibration import CalibrationConfig
    from nat_env.supernet.setup import add_calibration, build

    plain_spec = dataclasses.replace(
        spec, checkpoint=str(out.expanduser().resolve()), calibration=CalibrationConfig()
    )
    found = add_calibration(build(plain_spec), spec.calibration)
    values = ", ".join(f"{name} {value:+.2f}" for name, value in found.op_values().items())
    print(
        f"calibrated the reward on {len(found.landmarks)} landmarks ({found.seconds:.0f} s); correction "
        f"per edge in points: {values}; stored in {out}",
        flush=True,
    )


def run(args: PretrainArgs) -> int:
    """Train and write the checkpoint (rank 0); exit status 0.

    Raises:
        ValueError: for an unknown preset or override, few-shot or grouped settings across ranks, or a
            batch size that does not split among the ranks.
        DataError: when CIFAR-10 cannot be found.
    """
    from nat_env.supernet.checkpoint import save_checkpoint  # torch: loaded to run, not for --help
    from nat_env.supernet.distributed import finish, init_from_environment
    from nat_env.supernet.setup import make_spec
    from nat_env.supernet.training import checkpoint_path, train_supernet, training_signature

    ranks, device = init_from_environment(args.device)
    try:
        space, default_preset = SPACES[args.env]
        preset = args.preset or default_preset
        spec = make_spec(
            preset,
            space=space,
            transitions=args.transitions,
            device=device,
            seed=args.seed,
            data_root=args.data_root,
            archive=args.archive,
            cache_dir=args.cache_dir,
            **args.overrides,
        )
        if spec.training.split_edge >= 0:
            raise ValueError(
                "nat pretrain trains one-shot supernets; few-shot splits (split_edge) warm up in gym.make"
            )
        batches = args.batches or spec.preset.warmup_steps
        if not ranks.is_writer:
            ranks.barrier()  # rank 0 decodes and caches the images once; the others then read its cache
        data = spec.load_data()
        if ranks.is_writer:
            ranks.barrier()
        supernet = spec.new_supernet(data)
        signature = training_signature(supernet, data, spec.training, batches)
        out = Path(args.out) if args.out is not None else checkpoint_path(signature, spec.cache_dir)
        if ranks.is_writer:
            print(
                f"{args.env} supernet, preset {preset}: "
                f"{batches} batches of {spec.training.batch_size} on {ranks.world_size} process(es) "
                f"({spec.training.batch_size // ranks.world_size} images each) on {device}",
                flush=True,
            )
        start = time.perf_counter()
        seconds = train_supernet(supernet, data, spec.training, batches, ranks=ranks)
        if ranks.is_writer:
            notes = {
                "ranks": ranks.world_size,
                "rows_per_rank": spec.training.batch_size // ranks.world_size,
                "device": str(device),
                "seconds": seconds,
                "provenance": provenance(),
            }
            save_checkpoint(out, supernet.state_dict(), signature, notes)
            print(f"wrote {out} ({time.perf_counter() - start:.0f} s)", flush=True)
            if spec.calibration.enabled:
                calibrate_checkpoint(spec, out)
        ranks.barrier()
    finally:
        finish(ranks)
    return 0
