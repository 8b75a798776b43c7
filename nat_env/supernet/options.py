"""Speed options of supernet passes: memory format, autocast, cuDNN autotuning and host syncs.

Every supernet pass (training, rewards) takes one :class:`FastOptions`; none of them changes what is
computed beyond float rounding. The defaults (float32, contiguous memory, no autotuning, one host sync
per call) were the fastest measured on every device so far (``benchmarks/README.md``, "Speed of the
supernet"); the other settings stay available for re-measuring.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class FastOptions:
    """Speed options of supernet passes.

    Attributes:
        channels_last: NHWC memory format for weights and activations.
        bf16: bfloat16 autocast (batch norm statistics stay in float32); CUDA only.
        cudnn_benchmark: let cuDNN pick the fastest kernels per shape (a grouped pass's shapes change
            with every set of genotypes, so it re-tunes instead of reusing).
        sync_every_batch: read the loss / correct count back to the host after every batch (the slow,
            naive way; off means one host sync per call).
    """

    channels_last: bool = False
    bf16: bool = False
    cudnn_benchmark: bool = False
    sync_every_batch: bool = False

    def autocast(self, device: torch.device) -> AbstractContextManager[Any]:
        """The autocast context for a pass on ``device``."""
        if self.bf16 and device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return nullcontext()

    def prepare(self, module: nn.Module, device: torch.device) -> None:
        """Apply the memory format and the backend settings."""
        del device  # the settings are process-wide or per module
        if self.cudnn_benchmark:
            torch.backends.cudnn.benchmark = True
        if self.channels_last:
            module.to(memory_format=torch.channels_last)

    def images(self, x: torch.Tensor) -> torch.Tensor:
        """Images in the configured memory format."""
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x
