"""Tests of the edge ops: every op keeps the channels, keeps the size at stride 1 and halves it at 2."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nat_env import ops
from nat_env.nn import OPERATIONS, FactorizedReduce, Zero, make_op
from nat_env.nn.operations import AvgPool

CHANNELS = 4


def test_every_op_has_a_module() -> None:
    assert set(OPERATIONS) == set(ops.ALL_OPS)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("name", ops.ALL_OPS)
def test_shape(name: str, stride: int) -> None:
    x = torch.randn(2, CHANNELS, 8, 8)
    assert make_op(name, CHANNELS, stride)(x).shape == (2, CHANNELS, 8 // stride, 8 // stride)


@pytest.mark.parametrize("name", [op for op in ops.ALL_OPS if op != "skip_connect"])
def test_odd_size_rounds_up_at_stride_2(name: str) -> None:
    assert make_op(name, CHANNELS, 2)(torch.randn(1, CHANNELS, 7, 7)).shape[-2:] == (4, 4)


def test_aliases_and_bad_stride() -> None:
    assert isinstance(make_op("null", CHANNELS, 1), Zero)
    assert _convs("nor_conv_3x3")[0].kernel_size == (3, 3)
    with pytest.raises(ValueError, match="stride"):
        make_op("conv_3x3", CHANNELS, 3)
    with pytest.raises(ValueError, match="unknown op"):
        make_op("conv_9x9", CHANNELS, 1)


def _convs(name: str, stride: int = 1) -> list[nn.Conv2d]:
    return [m for m in make_op(name, CHANNELS, stride).modules() if isinstance(m, nn.Conv2d)]


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_strided_skip_is_factorized_reduce_and_costs_more_than_a_pool() -> None:
    assert isinstance(make_op("skip_connect", CHANNELS, 1), nn.Identity)
    skip = make_op("skip_connect", CHANNELS, 2)
    assert isinstance(skip, FactorizedReduce)
    assert _params(skip) > _params(make_op("max_pool_3x3", CHANNELS, 2)) == 0


def test_affine_off_drops_batch_norm_parameters() -> None:
    assert _params(make_op("sep_conv_3x3", CHANNELS, 1, affine=False)) < _params(
        make_op("sep_conv_3x3", CHANNELS, 1)
    )


def test_zero_outputs_zeros() -> None:
    assert not make_op("none", CHANNELS, 2)(torch.randn(1, CHANNELS, 8, 8)).any()


def test_pool_2x2_at_stride_1_pools_inside_the_image() -> None:
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    avg = make_op("avg_pool_2x2", 1, 1)(x)[0, 0]
    mx = make_op("max_pool_2x2", 1, 1)(x)[0, 0]
    assert avg[0, 0] == (0 + 1 + 3 + 4) / 4
    assert avg[0, 2] == (2 + 5) / 2  # the right border averages its two pixels, no padded zeros
    assert avg[2, 2] == 8
    assert mx.tolist() == [[4, 5, 5], [7, 8, 8], [7, 8, 8]]


def test_factorized_convolutions_order() -> None:
    assert [conv.kernel_size for conv in _convs("conv_1x7_7x1")] == [(1, 7), (7, 1)]
    assert [conv.kernel_size for conv in _convs("conv_7x1_1x7")] == [(7, 1), (1, 7)]
    assert [conv.kernel_size for conv in _convs("conv_1x3_3x1")] == [(1, 3), (3, 1)]
    assert [conv.stride for conv in _convs("conv_1x3_3x1", 2)] == [(1, 2), (2, 1)]


def test_separable_convolution_stacks_two_blocks() -> None:
    depthwise = [conv for conv in _convs("sep_conv_3x3", 2) if conv.groups == CHANNELS]
    assert [conv.stride for conv in depthwise] == [(2, 2), (1, 1)]
    assert _convs("dil_conv_5x5")[0].dilation == (2, 2)


@pytest.mark.parametrize("kernel", [3, 5])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("shape", [(4, 8, 16, 16), (3, 5, 7, 9), (2, 3, 1, 1)])
def test_average_pooling_counts_only_pixels_inside_the_image(
    kernel: int, stride: int, shape: tuple[int, ...]
) -> None:
    x = torch.randn(*shape, requires_grad=True)
    expected = F.avg_pool2d(x, kernel, stride, kernel // 2, count_include_pad=False)
    found = AvgPool(kernel, stride)(x)
    assert found.shape == expected.shape
    torch.testing.assert_close(found, expected)
    found.sum().backward()
    assert x.grad is not None
    grad = x.grad.clone()
    x.grad = None
    expected.sum().backward()
    torch.testing.assert_close(grad, x.grad)


def test_average_pooling_first_run_while_scoring_then_trains() -> None:
    pool = AvgPool(3, 1)
    x = torch.randn(2, 3, 8, 8)
    with torch.inference_mode():
        pool(x)
    trained = torch.randn(2, 3, 8, 8, requires_grad=True)
    pool(trained).sum().backward()
    assert trained.grad is not None
