"""Batch norm with per-architecture statistics: what lets one grouped pass hold many architectures.

Data flow: a grouped pass (:mod:`nat_env.supernet.grouped`) stacks the rows of ``A`` architectures,
``R`` contiguous rows each, and sets ``R`` with :func:`rows_per_architecture`; every
:class:`ChunkedBatchNorm2d` of the supernet then normalises each chunk of ``R`` rows with that chunk's
own mean and variance, exactly as ``A`` separate single-path passes would (the supernet keeps no running
statistics; see :mod:`nat_env.supernet.model`). Outside such a block, or on a tensor of at most ``R``
rows, it is ``nn.BatchNorm2d(track_running_stats=False)``.

The rows an edge op sees in a grouped pass are a subset of the architectures, each with its ``R``
contiguous rows, so chunking by ``R`` stays per architecture there too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import torch
import torch.nn.functional as F
from torch import nn

VECTORISED_ON_CPU = False
"""Use the one-reduction form on CPU too (tests check it there; CUDA always uses it)."""

_ROWS: ContextVar[int | None] = ContextVar("nat_env_rows_per_architecture", default=None)


@contextmanager
def rows_per_architecture(rows: int | None) -> Iterator[None]:
    """Within the block, batch norms normalise every chunk of ``rows`` rows on its own."""
    if rows is not None and rows < 1:
        raise ValueError(f"rows must be positive, got {rows}")
    token = _ROWS.set(rows)
    try:
        yield
    finally:
        _ROWS.reset(token)


def chunked_batch_norm(
    x: torch.Tensor,
    rows: int,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    eps: float,
) -> torch.Tensor:
    """Normalise each chunk of ``rows`` rows of ``x`` with its own batch statistics.

    ``y = (x - mean_n) / sqrt(var_n + eps) * weight + bias`` with ``mean_n`` and the biased ``var_n``
    taken over the chunk's rows and pixels, per channel. Statistics are computed in float32.

    Shapes:
        ``x``: ``(n * rows, C, H, W)`` → same shape and dtype.
    """
    if x.shape[0] % rows:
        raise ValueError(f"{x.shape[0]} rows do not split into chunks of {rows}")
    if x.device.type == "cpu" and not VECTORISED_ON_CPU:
        # on CPU the fused kernel per chunk beats one strided reduction several times; launches are cheap
        chunks_out = [F.batch_norm(c, None, None, weight, bias, True, 0.0, eps) for c in torch.split(x, rows)]
        return torch.cat(chunks_out)
    chunks = x.view(x.shape[0] // rows, rows, *x.shape[1:])
    stats = chunks if chunks.dtype == torch.float32 else chunks.float()
    var, mean = torch.var_mean(stats, dim=(1, 3, 4), correction=0, keepdim=True)
    scale = torch.rsqrt(var + eps)
    if weight is not None:
        scale = scale * weight.view(1, 1, -1, 1, 1)
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias.view(1, 1, -1, 1, 1)
    return torch.addcmul(shift, chunks, scale).flatten(0, 1).to(x.dtype)


class ChunkedBatchNorm2d(nn.BatchNorm2d):
    """``BatchNorm2d`` without running statistics that honours :func:`rows_per_architecture`.

    Args:
        num_features: channels.
        eps: added to the variance.
        affine: whether it learns a scale and shift.

    Shapes:
        ``(N, C, H, W)`` → ``(N, C, H, W)``; with ``R`` rows per architecture set, ``N`` is a multiple
        of ``R``.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__(num_features, eps=eps, affine=affine, track_running_stats=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise per chunk of ``R`` rows, or over the whole batch when no ``R`` is set."""
        rows = _ROWS.get()
        if rows is None or x.shape[0] <= rows:
            return super().forward(x)
        return chunked_batch_norm(x, rows, self.weight, self.bias, self.eps)


def use_chunked_batch_norm(module: nn.Module) -> None:
    """Replace every ``BatchNorm2d`` inside ``module`` by a :class:`ChunkedBatchNorm2d` (same parameters).

    The replacement keeps no running statistics, so the state dict loses the running-statistics
    buffers, if any, and keeps the affine parameters under the same names.
    """
    targets = [
        (parent, name, child)
        for parent in module.modules()
        for name, child in parent.named_children()
        if type(child) is nn.BatchNorm2d
    ]
    for parent, name, child in targets:
        chunked = ChunkedBatchNorm2d(child.num_features, eps=child.eps, affine=child.affine)
        if child.affine:
            chunked.weight, chunked.bias = child.weight, child.bias
        chunked.train(child.training)
        setattr(parent, name, chunked)
