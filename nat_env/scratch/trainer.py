"""Training a genotype's evaluation network from scratch, with exact resume, then testing it once.

The data flow runs genotype + :class:`~nat_env.scratch.protocol.Protocol` → the standard network
(:func:`nat_env.nn.build`, DARTS' auxiliary head on request) → SGD over :class:`ScratchData`'s
augmented batches, one checkpoint per epoch → the test split, scored once at the end in eval mode
without augmentation → :class:`ScratchResult` and ``results.json``. The test accuracy chooses nothing.

One training step (DARTS ``cnn/train.py``; Liu et al., 2019):

    loss = CE(f(x), y) + w_aux · CE(f_aux(x), y),   ‖∇‖ clipped to ``grad_clip``,   SGD step,

with the learning rate on a cosine from ``learning_rate`` to ``lr_min`` and drop-path raised linearly.

Exact resume. After every epoch the checkpoint holds the model (batch-norm statistics included), the
optimiser (momentum buffers), the epoch, the per-epoch history and every random state the run draws
from: the generator of the augmentation and shuffling, and torch's global generator of the run's device
(drop-path). The learning rate and drop-path are functions of the epoch, so nothing else is needed: a
run stopped after any epoch and resumed ends with the same weights, bit for bit on a CPU with the same
thread count, as one never stopped (GPU kernels need not be deterministic). The caller's global random
state is left as it was (:func:`torch.random.fork_rng`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nat_env.cost import count
from nat_env.data import ImageArrays, load_cifar10
from nat_env.genotypes import Genotype, resolve
from nat_env.nn import NetworkCIFAR, NetworkImageNet, build, main_parameters
from nat_env.records import plain, provenance, read_json, write_json
from nat_env.scratch import run_folder
from nat_env.scratch.data import ScratchData
from nat_env.scratch.protocol import Protocol, preset
from nat_env.supernet.checkpoint import load_checkpoint, save_checkpoint

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpochStats:
    """What one epoch of training did (training images are augmented; the test split is not used)."""

    epoch: int
    """Epochs completed, counting this one."""
    learning_rate: float
    """Learning rate of the epoch's first step."""
    drop_path: float
    """Drop-path probability of the epoch."""
    train_loss: float
    """Mean cross-entropy of the main classifier on the epoch's augmented batches."""
    train_accuracy: float
    """Top-1 accuracy (%) on the epoch's augmented batches, in train mode."""
    seconds: float
    """Wall time of the epoch."""
    images_per_second: float
    """Training throughput of the epoch."""


@dataclass(frozen=True)
class ScratchResult:
    """The outcome of a run, as ``results.json`` holds it."""

    genotype: str
    """The genotype's text (DARTS or NAS-Bench-201 format)."""
    name: str | None
    """The genotype's published name, if any."""
    protocol: Protocol
    """How it was trained."""
    seed: int
    """Seed of initialisation, shuffling, augmentation and drop-path."""
    test_accuracy: float
    """Top-1 accuracy (%) on the test images, in eval mode without augmentation."""
    test_loss: float
    """Mean cross-entropy on the test images."""
    test_images: int
    """Test images scored."""
    params: int
    """Parameters of the network without the auxiliary head (equal to :func:`nat_env.cost.count`'s)."""
    madds: int
    """Multiply-adds of the same network on one 32 px image (:func:`nat_env.cost.count`), whatever
    size it trained on."""
    train_seconds: float
    """Wall time of all training epochs, over every session."""
    history: tuple[EpochStats, ...]
    """One entry per epoch."""
    log_dir: str
    """The run folder."""

    def as_dict(self) -> dict[str, Any]:
        """The result as plain JSON types."""
        data: dict[str, Any] = asdict(self)
        data["history"] = [asdict(stats) for stats in self.history]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScratchResult:
        """Read back :meth:`as_dict` (``results.json``'s ``result``)."""
        values = dict(data)
        values["protocol"] = Protocol(**values["protocol"])
        values["history"] = tuple(EpochStats(**stats) for stats in values["history"])
        return cls(**values)


def resolve_device(device: str | torch.device) -> torch.device:
    """``auto`` → CUDA when available, else CPU.

    Raises:
        ValueError: for CUDA on a machine without it.
    """
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available; use --device cpu")
    return resolved


def build_network(genotype: Genotype, protocol: Protocol, num_classes: int = 10) -> nn.Module:
    """The network a protocol trains: the standard one at the protocol's size, with an auxiliary head
    when the protocol weighs one."""
    return build(
        genotype,
        "cifar10",
        channels=protocol.channels,
        layers=protocol.layers,
        num_classes=num_classes,
        auxiliary=protocol.auxiliary_weight > 0,
    )


def train_from_scratch(
    genotype: Genotype | str,
    protocol: Protocol | str,
    log_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    device: str | torch.device = "auto",
    resume: bool = False,
    arrays: ImageArrays | None = None,
    data_root: str | os.PathLike[str] | None = None,
    archive: str | os.PathLike[str] | None = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> ScratchResult:
    """Train a genotype's evaluation network from scratch and score it once on the test images.

    Args:
        genotype: a genotype, a published name or genotype text.
        protocol: a :class:`Protocol`, or a preset name (``darts``, ``short``, ``tiny``) resolved for
            the genotype's space.
        log_dir: the run folder (``config.json``, ``checkpoint.pt``, ``results.json``).
        seed: seed of initialisation, shuffling, augmentation and drop-path.
        device: ``auto``, ``cpu``, ``cuda``, ``cuda:1``...
        resume: continue the folder's run from its last checkpoint (same configuration); a finished
            run is returned as it is.
        arrays: decoded images; by default :func:`nat_env.data.load_cifar10` with ``data_root`` and
            ``archive`` (torchvision's CIFAR-10, or ``NAT_CIFAR10_ARCHIVE``).
        data_root: see :func:`nat_env.data.load_cifar10`.
        archive: see :func:`nat_env.data.load_cifar10`.
        on_epoch: called after each epoch, once its checkpoint is written.

    Returns:
        The :class:`ScratchResult`, also written to ``results.json``.

    Raises:
        ValueError: for a protocol of the other space, CUDA without CUDA, a malformed genotype or an
            unknown preset.
        RunFolderError: a used folder without ``resume``, nothing to resume, or another configuration.
        DataError: when CIFAR-10 cannot be found.
    """
    genotype = resolve(genotype)
    if isinstance(protocol, str):
        protocol = preset(protocol, genotype.space)
    if protocol.space != genotype.space:
        raise ValueError(
            f"protocol {protocol.name!r} trains {protocol.space} genotypes, not a {genotype.space} genotype"
        )
    folder = Path(log_dir)
    run_device = resolve_device(device)
    saved = run_folder.check_folder(folder, resume)
    if arrays is None:
        arrays = load_cifar10(data_root, archive=archive)
    signature = {
        "genotype": str(genotype),
        "protocol": asdict(protocol),
        "seed": seed,
        "device_type": run_device.type,
    }
    data = ScratchData.for_protocol(arrays, protocol, run_device)
    signature["data"] = data.fingerprint
    run_folder.check_signature(folder, saved, signature)
    if saved is not None and (folder / run_folder.RESULTS).exists():
        finished = read_json(folder / run_folder.RESULTS)
        assert finished is not None
        logger.info("%s: already finished, nothing to do", folder)
        return ScratchResult.from_dict(finished["result"])
    devices = [run_device] if run_device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        return _train(genotype, protocol, folder, seed, run_device, data, signature, saved, on_epoch)


def _train(
    genotype: Genotype,
    protocol: Protocol,
    folder: Path,
    seed: int,
    device: torch.device,
    data: ScratchData,
    signature: dict[str, Any],
    saved: dict[str, Any] | None,
    on_epoch: Callable[[EpochStats], None] | None,
) -> ScratchResult:
    torch.manual_seed(seed)
    model = build_network(genotype, protocol, len(data.classes)).to(device)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=protocol.learning_rate,
        momentum=protocol.momentum,
        weight_decay=protocol.weight_decay,
        nesterov=protocol.nesterov,
    )
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    history: list[EpochStats] = []
    checkpoint = folder / run_folder.CHECKPOINT
    if saved is not None and checkpoint.exists():
        state = load_checkpoint(checkpoint, signature, map_location="cpu")
        model.load_state_dict(state["model"], strict=True)
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["rng"]["augment"])
        _set_device_rng(device, state["rng"]["device"])
        history = [EpochStats(**stats) for stats in state["history"]]
        logger.info("%s: resuming after epoch %d of %d", folder, len(history), protocol.epochs)
    run_folder.start_session(folder, saved, signature, genotype.name, len(history))
    for epoch in range(len(history), protocol.epochs):
        stats = train_epoch(model, optimizer, data, generator, protocol, epoch)
        history.append(stats)
        state = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "rng": {"augment": generator.get_state(), "device": _device_rng(device)},
            "history": [asdict(s) for s in history],
        }
        save_checkpoint(checkpoint, state, signature)
        logger.info(
            "%s seed %d: epoch %d/%d  lr %.4f  drop-path %.3f  loss %.3f  train acc %.2f %%  %.1f s (%.0f img/s)",
            genotype.name or "genotype",
            seed,
            stats.epoch,
            protocol.epochs,
            stats.learning_rate,
            stats.drop_path,
            stats.train_loss,
            stats.train_accuracy,
            stats.seconds,
            stats.images_per_second,
        )
        if on_epoch is not None:
            on_epoch(stats)
    test_loss, test_accuracy = evaluate(model, data, protocol.eval_batch_size)
    cost = count(genotype, "cifar10", layers=protocol.layers, channels=protocol.channels)
    result = ScratchResult(
        genotype=str(genotype),
        name=genotype.name,
        protocol=protocol,
        seed=seed,
        test_accuracy=test_accuracy,
        test_loss=test_loss,
        test_images=len(data.test_labels),
        params=main_parameters(model),
        madds=cost.madds,
        train_seconds=sum(stats.seconds for stats in history),
        history=tuple(history),
        log_dir=str(folder),
    )
    record = {"result": result.as_dict(), "signature": signature, "provenance": provenance()}
    write_json(folder / run_folder.RESULTS, plain(record))
    logger.info(
        "%s seed %d: test accuracy %.2f %% on %d images",
        genotype.name or "genotype",
        seed,
        test_accuracy,
        result.test_images,
    )
    return result


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: ScratchData,
    generator: torch.Generator,
    protocol: Protocol,
    epoch: int,
) -> EpochStats:
    """One pass over the training images (a host sync only at the end, for the statistics)."""
    start = time.perf_counter()
    model.train()
    drop_path = protocol.drop_path_at(epoch)
    if isinstance(model, NetworkCIFAR | NetworkImageNet):
        model.drop_path_prob = drop_path
    steps = data.steps_per_epoch(protocol.batch_size)
    first_lr = protocol.learning_rate_at(epoch, 0, steps)
    loss_sum = torch.zeros((), device=data.device)
    correct = torch.zeros((), device=data.device, dtype=torch.long)
    for step, (images, labels) in enumerate(data.epoch(protocol.batch_size, generator, protocol.cutout)):
        for group in optimizer.param_groups:
            group["lr"] = protocol.learning_rate_at(epoch, step, steps)
        if isinstance(model, NetworkCIFAR | NetworkImageNet):
            logits, logits_aux = model.forward_auxiliary(images)
        else:
            logits, logits_aux = model(images), None
        main_loss = F.cross_entropy(logits, labels)
        loss = main_loss
        if logits_aux is not None:
            loss = loss + protocol.auxiliary_weight * F.cross_entropy(logits_aux, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        if protocol.grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), protocol.grad_clip)
        optimizer.step()
        loss_sum += main_loss.detach() * len(labels)
        correct += (logits.detach().argmax(1) == labels).sum()
    seen = steps * protocol.batch_size
    seconds = time.perf_counter() - start
    return EpochStats(
        epoch=epoch + 1,
        learning_rate=first_lr,
        drop_path=drop_path,
        train_loss=float(loss_sum) / seen,
        train_accuracy=100.0 * int(correct) / seen,
        seconds=seconds,
        images_per_second=seen / seconds,
    )


@torch.inference_mode()
def evaluate(model: nn.Module, data: ScratchData, batch_size: int) -> tuple[float, float]:
    """Mean cross-entropy and top-1 accuracy (%) on the test images: eval mode, no augmentation."""
    model.eval()
    loss_sum = torch.zeros((), device=data.device)
    correct = torch.zeros((), device=data.device, dtype=torch.long)
    for images, labels in data.test_batches(batch_size):
        logits = model(images)
        loss_sum += F.cross_entropy(logits, labels, reduction="sum")
        correct += (logits.argmax(1) == labels).sum()
    n = len(data.test_labels)
    return float(loss_sum) / n, 100.0 * int(correct) / n


def _device_rng(device: torch.device) -> torch.Tensor:
    """The state of torch's global generator on the device (drop-path draws from it)."""
    if device.type == "cuda":
        return torch.cuda.get_rng_state(device)
    return torch.get_rng_state()


def _set_device_rng(device: torch.device, state: torch.Tensor) -> None:
    if device.type == "cuda":
        torch.cuda.set_rng_state(state, device)
    else:
        torch.set_rng_state(state)
