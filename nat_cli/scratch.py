"""``nat scratch``: train a genotype's evaluation network from scratch and report its test accuracy.

This is how the NAT paper compares β and α (its Tables 1-3): the cell in the standard network, trained
from scratch, scored once on the CIFAR-10 test set. NAS-Bench-201 cells train in that benchmark's network
with its protocol. Presets: the space's published protocol by default (darts: DARTS' 600 epochs; nb201:
NAS-Bench-201's 200), short (a few GPU minutes, unmeasured), tiny (a few CPU minutes: a pipeline check,
not evidence).

The run folder (``--log-dir``) receives ``config.json``, ``checkpoint.pt`` (after every epoch) and
``results.json`` (test accuracy, parameters, multiply-adds, configuration, versions). ``--resume``
continues an interrupted run exactly; a finished run resumes as a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nat_cli.cost import describe, format_cost
from nat_cli.genotype_spec import load_genotype
from nat_env.flags import positive_int


@dataclass
class ScratchArgs:
    """Configuration of ``nat scratch`` (the run folder records the resolved protocol)."""

    genotype: str
    """A published name (DARTS_V2, NAT_DARTS), DARTS or NAS-Bench-201 text, or a file holding either."""
    preset: str | None = None
    """Protocol: the genotype's space's published one by default (darts: DARTS' 600 epochs; nb201: NAS-Bench-201's 200), short (a few GPU minutes), or tiny (a few CPU minutes: a pipeline check, not evidence)."""
    epochs: int | None = field(default=None, metadata={"type": positive_int})
    """Override the preset's epochs (the cosine and drop-path schedules stretch with it)."""
    seed: int = 0
    """Seed of initialisation, shuffling, augmentation and drop-path."""
    device: str = "auto"
    """Torch device: auto (CUDA when available), cpu, cuda, cuda:1..."""
    log_dir: str = "runs/scratch"
    """Run folder: config.json, checkpoint.pt, results.json."""
    resume: bool = False
    """Continue the run in --log-dir from its last checkpoint (same configuration); a finished run is a no-op."""
    data_root: str | None = None
    """CIFAR-10 folder (torchvision's files, downloaded there when possible); default NAT_DATA_DIR."""
    archive: str | None = None
    """A .tar.gz or folder of train/<class>/ and test/<class>/ images (the offline copy); default NAT_CIFAR10_ARCHIVE."""


ARGS = ScratchArgs
"""The flags of ``nat scratch`` (:func:`nat_cli.main.add_command`)."""


def run(args: ScratchArgs) -> int:
    """Train (or resume), then print the test accuracy and cost; exit status 0.

    Raises:
        CommandError: for a genotype spec that names no genotype.
        ValueError: for an unknown preset, or CUDA without CUDA.
        RunFolderError: a used folder without --resume, nothing to resume, or another configuration.
        DataError: when CIFAR-10 cannot be found.
    """
    from nat_env.cost import Cost  # torch loads when the command runs, so that --help stays fast
    from nat_env.scratch import preset, train_from_scratch
    from nat_env.scratch.run_folder import RESULTS

    genotype = load_genotype(args.genotype)
    protocol = preset(args.preset, genotype.space)
    if args.epochs is not None:
        protocol = protocol.with_epochs(args.epochs)
    print(f"{describe(genotype)}, preset {protocol.name}: {protocol.purpose}")
    print(
        f"network: {protocol.layers} {'cells' if genotype.space == 'darts' else 'cells per stage'}, "
        f"{protocol.channels} channels, {protocol.image_size} px; {protocol.epochs} epochs, batch "
        f"{protocol.batch_size}; run folder {args.log_dir}"
    )
    result = train_from_scratch(
        genotype,
        protocol,
        args.log_dir,
        seed=args.seed,
        device=args.device,
        resume=args.resume,
        data_root=args.data_root,
        archive=args.archive,
    )
    print(
        f"test accuracy {result.test_accuracy:.2f} % on {result.test_images} test images "
        f"after {len(result.history)} epochs ({result.train_seconds:.0f} s of training); "
        f"{format_cost(Cost(result.params, result.madds))} (at 32 px)"
    )
    print(f"results: {Path(args.log_dir) / RESULTS}")
    return 0
