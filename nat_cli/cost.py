"""``nat cost``: parameters and multiply-adds of any genotype's evaluation network."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from nat_cli.genotype_spec import load_genotype
from nat_env.genotypes import Genotype

if TYPE_CHECKING:  # the cost model builds networks with torch, loaded when the command runs
    from nat_env.cost import Cost


@dataclass
class CostArgs:
    """Configuration of ``nat cost``."""

    genotype: str = field(metadata={"positional": True})
    """A published name (DARTS_V2), DARTS or NAS-Bench-201 text, or a file holding either."""
    dataset: Literal["cifar10", "imagenet"] = field(
        default="cifar10", metadata={"choices": ("cifar10", "imagenet"), "type": str}
    )
    """Evaluation network: cifar10 (DARTS: 20 cells, 36 channels; NAS-Bench-201: its CIFAR network) or imagenet (DARTS only: 14 cells, 48 channels, 224 px)."""


ARGS = CostArgs
"""The flags of ``nat cost`` (:func:`nat_cli.main.add_command`)."""


def format_cost(cost: Cost) -> str:
    """``3.35 M params, 528 M MAdds`` (the units of the NAT paper's tables)."""
    return f"{cost.params / 1e6:.2f} M params, {cost.madds / 1e6:.0f} M MAdds"


def describe(genotype: Genotype) -> str:
    """The genotype's name if it has one, else its space."""
    space = "NAS-Bench-201 cell" if genotype.space == "nb201" else "DARTS genotype"
    return f"{genotype.name} ({space})" if genotype.name else space


def run(args: CostArgs) -> int:
    """Print the cost; exit status 0."""
    from nat_env.cost import count

    genotype = load_genotype(args.genotype)
    cost = count(genotype, args.dataset)
    print(f"{describe(genotype)}, {args.dataset} network")
    print(f"params:        {cost.params / 1e6:8.2f} M  ({cost.params:,})")
    print(f"multiply-adds: {cost.madds / 1e6:8.0f} M  ({cost.madds:,})")
    return 0
