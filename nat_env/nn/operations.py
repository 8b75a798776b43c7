"""Torch modules for the ops on edges: what every op name of :mod:`nat_env.ops` computes.

The data flow runs genotype → :mod:`nat_env.nn.network` (or a supernet) → these modules. Every module
maps ``C`` channels to ``C`` channels; at stride 1 it keeps the spatial size and at stride 2 (edges that
leave the input nodes of a reduction cell) it halves it, rounding up like a padded convolution.

The definitions follow DARTS (Liu et al., 2019, ``cnn/operations.py``):

* ``conv_kxk``: ReLU → k×k convolution → BN (:class:`ReLUConvBN`).
* ``sep_conv_kxk``: two stacked ReLU → depthwise k×k → pointwise 1×1 → BN blocks, the first carrying the
  stride (:class:`SepConv`).
* ``dil_conv_kxk``: ReLU → depthwise k×k with dilation 2 → pointwise 1×1 → BN (:class:`DilConv`).
* ``max_pool_kxk`` / ``avg_pool_kxk``: padded pooling; average pooling divides by the number of pixels
  inside the image (``count_include_pad=False``).
* ``skip_connect``: the identity at stride 1; at stride 2 DARTS' :class:`FactorizedReduce`, two strided
  1×1 convolutions on offset pixel grids, concatenated, then BN. A stride-2 skip therefore has weights and
  costs more than a pool, so turning a pool into a skip in a reduction cell can *raise* cost
  (docs/background.md, mistake 7).
* ``none``: :class:`Zero`. Networks skip null edges instead of adding zeros; the module exists so that
  every op name has one (a supernet may still want it).

NAONet's extra ops (:data:`nat_env.ops.EXTRA_OPS`) are defined in the same style: ``sep_conv_7x7``;
``conv_1xk_kx1`` (ReLU → 1×k → k×1 → BN, stride split over the two convolutions as in DARTS'
``conv_7x1_1x7``) and ``conv_7x1_1x7`` (the same with 7×1 first); ``max_pool_2x2`` / ``avg_pool_2x2``
(see :class:`Pool2x2` for how an even kernel keeps the size at stride 1).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from nat_env import ops as _ops


class ReLUConvBN(nn.Sequential):
    """ReLU → convolution (no bias) → BN: DARTS' plain convolution and preprocessing block.

    Args:
        c_in: input channels.
        c_out: output channels.
        kernel: kernel size.
        stride: stride.
        affine: whether the batch norm learns a scale and shift.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, affine: bool = True) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """ReLU → depthwise (dilated) convolution → pointwise convolution → BN.

    Args:
        c_in: input channels.
        c_out: output channels.
        kernel: kernel size.
        stride: stride of the depthwise convolution.
        dilation: dilation of the depthwise convolution (padding keeps the size).
        affine: whether the batch norm learns a scale and shift.
    """

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, dilation: int, affine: bool = True
    ) -> None:
        padding = dilation * (kernel - 1) // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride, padding, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """Two stacked undilated :class:`DilConv` blocks; only the first one strides (DARTS' ``SepConv``).

    Args:
        c_in: input channels.
        c_out: output channels.
        kernel: kernel size.
        stride: stride of the first block.
        affine: whether the batch norms learn a scale and shift.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, affine: bool = True) -> None:
        super().__init__(
            DilConv(c_in, c_in, kernel, stride, 1, affine),
            DilConv(c_in, c_out, kernel, 1, 1, affine),
        )


class FactorizedConv(nn.Sequential):
    """ReLU → 1×k or k×1 convolution → the transposed one → BN (NAONet's ``conv 1xk+kx1``).

    The stride is split as in DARTS' ``conv_7x1_1x7``: the first convolution strides along the axis it
    spans, the second along the other axis.

    Args:
        channels: input and output channels.
        kernel: the long side k of the two convolutions.
        stride: overall stride.
        wide_first: start with the 1×k (wide) convolution; otherwise with k×1.
        affine: whether the batch norm learns a scale and shift.
    """

    def __init__(
        self, channels: int, kernel: int, stride: int, wide_first: bool, affine: bool = True
    ) -> None:
        pad = kernel // 2
        wide = nn.Conv2d(channels, channels, (1, kernel), stride=(1, stride), padding=(0, pad), bias=False)
        tall = nn.Conv2d(channels, channels, (kernel, 1), stride=(stride, 1), padding=(pad, 0), bias=False)
        first, second = (wide, tall) if wide_first else (tall, wide)
        super().__init__(nn.ReLU(inplace=False), first, second, nn.BatchNorm2d(channels, affine=affine))


class FactorizedReduce(nn.Module):
    """Halve the spatial size with two 1×1 stride-2 convolutions on grids offset by one pixel.

    Each convolution gives half the output channels; concatenating them sees every input pixel, which a
    single strided 1×1 convolution would not. DARTS uses it for a stride-2 skip and to preprocess the
    output of a reduction cell two cells back.

    Args:
        c_in: input channels.
        c_out: output channels (even).
        affine: whether the batch norm learns a scale and shift.

    Shapes:
        input ``(N, c_in, H, W)`` with even H and W → output ``(N, c_out, H/2, W/2)``.
    """

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of output channels, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reduce ``x``; see the class docstring for shapes."""
        x = self.relu(x)
        out = torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1)
        return self.bn(out)  # type: ignore[no-any-return]


class Zero(nn.Module):
    """The null op: zeros of the output shape.

    Args:
        stride: 1 keeps the spatial size, 2 halves it.
    """

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Zeros shaped like ``x`` subsampled by the stride."""
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class Pool2x2(nn.Module):
    """2×2 max or average pooling that keeps the size at stride 1 and halves it at stride 2.

    An even kernel cannot be padded symmetrically. At stride 1 the input is padded by one pixel on the
    right and bottom by replicating the border: for a 2×2 window this gives exactly the maximum, and the
    average over pixels inside the image (``count_include_pad=False``), of every window. At stride 2 the
    windows tile the image and no padding is needed (``ceil_mode`` covers odd sizes like a padded conv).

    Args:
        mode: ``max`` or ``avg``.
        stride: 1 or 2.
    """

    def __init__(self, mode: str, stride: int) -> None:
        super().__init__()
        self.mode = mode
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool ``x``; see the class docstring for the padding."""
        if self.stride == 1:
            x = F.pad(x, (0, 1, 0, 1), mode="replicate")
        if self.mode == "max":
            return F.max_pool2d(x, 2, stride=self.stride, ceil_mode=True)
        return F.avg_pool2d(x, 2, stride=self.stride, ceil_mode=True, count_include_pad=False)


class AvgPool(nn.Module):
    """Average pooling over a ``kernel x kernel`` window, padded by ``kernel // 2``, counting only the
    pixels inside the image (``nn.AvgPool2d(..., count_include_pad=False)``).

    On a CPU it runs as a depthwise convolution with a kernel of ones, divided by each window's pixel
    count: in the CPU-small NAS-Bench-201 supernet's scoring pass PyTorch's CPU ``avg_pool2d`` took 28 % of
    the profiled time, and with this form pooling takes 7 % and a pair scores 1.15 times as fast
    (``benchmarks/README.md``, "Cheap enough to iterate"). Elsewhere it calls ``avg_pool2d``. Both agree up
    to float rounding.

    Args:
        kernel: the window's side (odd).
        stride: 1 or 2.
    """

    def __init__(self, kernel: int, stride: int) -> None:
        super().__init__()
        self.kernel, self.stride, self.padding = kernel, stride, kernel // 2
        self._divisors: dict[tuple[int, int, torch.dtype], torch.Tensor] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool ``x`` (``(N, C, H, W)``)."""
        if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
            return F.avg_pool2d(x, self.kernel, self.stride, self.padding, count_include_pad=False)
        channels = x.shape[1]
        ones = x.new_ones(channels, 1, self.kernel, self.kernel)
        sums = F.conv2d(x, ones, stride=self.stride, padding=self.padding, groups=channels)
        return sums * self._inverse_counts(x.shape[2], x.shape[3], x.dtype)

    def _inverse_counts(self, height: int, width: int, dtype: torch.dtype) -> torch.Tensor:
        key = (height, width, dtype)
        if key not in self._divisors:
            # a normal tensor even when first built while scoring: training (online mode) reuses it
            with torch.inference_mode(False):
                ones = torch.ones(1, 1, height, width, dtype=dtype)
                window = torch.ones(1, 1, self.kernel, self.kernel, dtype=dtype)
                counts = F.conv2d(ones, window, stride=self.stride, padding=self.padding)
                self._divisors[key] = 1.0 / counts
        return self._divisors[key]

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}, stride={self.stride}, padding={self.padding}"


OpFactory = Callable[[int, int, bool], nn.Module]
"""``(channels, stride, affine) -> module``."""


def _pool(mode: str, kernel: int) -> OpFactory:
    def build(channels: int, stride: int, affine: bool) -> nn.Module:
        if kernel == 2:
            return Pool2x2(mode, stride)
        if mode == "max":
            return nn.MaxPool2d(kernel, stride=stride, padding=kernel // 2)
        return AvgPool(kernel, stride)

    return build


def _skip(channels: int, stride: int, affine: bool) -> nn.Module:
    return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels, affine)


OPERATIONS: dict[str, OpFactory] = {
    "none": lambda c, stride, affine: Zero(stride),
    "skip_connect": _skip,
    "conv_1x1": lambda c, stride, affine: ReLUConvBN(c, c, 1, stride, affine),
    "conv_3x3": lambda c, stride, affine: ReLUConvBN(c, c, 3, stride, affine),
    "conv_5x5": lambda c, stride, affine: ReLUConvBN(c, c, 5, stride, affine),
    "sep_conv_3x3": lambda c, stride, affine: SepConv(c, c, 3, stride, affine),
    "sep_conv_5x5": lambda c, stride, affine: SepConv(c, c, 5, stride, affine),
    "sep_conv_7x7": lambda c, stride, affine: SepConv(c, c, 7, stride, affine),
    "dil_conv_3x3": lambda c, stride, affine: DilConv(c, c, 3, stride, 2, affine),
    "dil_conv_5x5": lambda c, stride, affine: DilConv(c, c, 5, stride, 2, affine),
    "max_pool_2x2": _pool("max", 2),
    "max_pool_3x3": _pool("max", 3),
    "max_pool_5x5": _pool("max", 5),
    "avg_pool_2x2": _pool("avg", 2),
    "avg_pool_3x3": _pool("avg", 3),
    "avg_pool_5x5": _pool("avg", 5),
    "conv_1x3_3x1": lambda c, stride, affine: FactorizedConv(c, 3, stride, True, affine),
    "conv_1x7_7x1": lambda c, stride, affine: FactorizedConv(c, 7, stride, True, affine),
    "conv_7x1_1x7": lambda c, stride, affine: FactorizedConv(c, 7, stride, False, affine),
}
"""Canonical op name -> factory; holds every name of :data:`nat_env.ops.ALL_OPS`."""


def make_op(name: str, channels: int, stride: int, affine: bool = True) -> nn.Module:
    """Build the module of one op.

    Args:
        name: an op name or alias (see :func:`nat_env.ops.canonical`).
        channels: input and output channels.
        stride: 1, or 2 on the edges that leave the input nodes of a reduction cell.
        affine: whether batch norms learn a scale and shift (DARTS turns it off in the search supernet).

    Returns:
        A module mapping ``(N, channels, H, W)`` to ``(N, channels, H', W')``, ``H' = H`` at stride 1 and
        ``ceil(H / 2)`` at stride 2 (even sizes for ``skip_connect``).

    Raises:
        ValueError: for an unknown op name or a stride other than 1 or 2.
    """
    if stride not in (1, 2):
        raise ValueError(f"stride must be 1 or 2, got {stride}")
    return OPERATIONS[_ops.canonical(name)](channels, stride, affine)
