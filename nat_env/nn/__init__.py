"""Torch modules built from genotypes: edge ops, cells and the DARTS / NAS-Bench-201 evaluation networks."""

from __future__ import annotations

from nat_env.nn.auxiliary import AuxiliaryHeadCIFAR
from nat_env.nn.cell import CellModule, computing_edges
from nat_env.nn.nb201_network import NetworkNB201, ResidualReduction
from nat_env.nn.network import (
    INPUT_SIZES,
    NUM_CLASSES,
    NetworkCIFAR,
    NetworkImageNet,
    build,
    main_parameters,
)
from nat_env.nn.operations import OPERATIONS, FactorizedReduce, ReLUConvBN, Zero, make_op

__all__ = [
    "INPUT_SIZES",
    "NUM_CLASSES",
    "OPERATIONS",
    "AuxiliaryHeadCIFAR",
    "CellModule",
    "FactorizedReduce",
    "NetworkCIFAR",
    "NetworkImageNet",
    "NetworkNB201",
    "ReLUConvBN",
    "ResidualReduction",
    "Zero",
    "build",
    "computing_edges",
    "main_parameters",
    "make_op",
]
