"""Torch modules built from genotypes: edge ops and the DARTS / NAS-Bench-201 evaluation networks."""

from __future__ import annotations

from nat_env.nn.network import (
    INPUT_SIZES,
    NUM_CLASSES,
    CellModule,
    NetworkCIFAR,
    NetworkImageNet,
    NetworkNB201,
    build,
    computing_edges,
)
from nat_env.nn.operations import OPERATIONS, FactorizedReduce, ReLUConvBN, Zero, make_op

__all__ = [
    "INPUT_SIZES",
    "NUM_CLASSES",
    "OPERATIONS",
    "CellModule",
    "FactorizedReduce",
    "NetworkCIFAR",
    "NetworkImageNet",
    "NetworkNB201",
    "ReLUConvBN",
    "Zero",
    "build",
    "computing_edges",
    "make_op",
]
