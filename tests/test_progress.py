"""Long phases say what they will do before they start, estimate their length, and report as they go."""

from __future__ import annotations

import logging

import pytest

from nat_env.progress import Phase, duration, plural
from nat_env.supernet.setup import make_spec


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_long_phase_announces_estimates_reports_and_ends(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    phase = Phase(logging.getLogger("test.phase"), "warm-up", 1000, "batch", interval_s=10.0, clock=clock)
    caplog.set_level(logging.INFO, logger="test.phase")
    phase.start(" of 64 images")
    assert caplog.messages == [
        "warm-up: 1,000 batches of 64 images; its length is estimated from the first 3"
    ]
    assert phase.next_chunk() == 3
    clock.now = 3.0  # 1 s per batch
    phase.advance(3)
    assert caplog.messages[-1] == (
        "warm-up: about 1.0 s per batch on the first 3, so about 16.7 min in all (an estimate from those batches)"
    )
    assert phase.next_chunk() == 10  # about interval_s worth at the measured rate
    assert phase.next_chunk(multiple=4) == 12
    clock.now = 13.0
    phase.advance(13, "loss 2.000")
    assert (
        caplog.messages[-1] == "warm-up: 13/1,000 batches (1 %), 13 s so far, about 16.4 min left, loss 2.000"
    )
    clock.now = 14.0
    phase.advance(14)
    assert len(caplog.messages) == 3  # within interval_s of the last line
    clock.now = 1000.0
    phase.advance(1000)
    assert caplog.messages[-1] == "warm-up: 1,000/1,000 batches done in 16.7 min"


def test_a_short_phase_says_only_what_it_does_and_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    caplog.set_level(logging.INFO, logger="test.phase")
    phase = Phase(logging.getLogger("test.phase"), "scoring", 5, "input", clock=clock)
    phase.start()
    for done in range(1, 6):
        clock.now = 0.1 * done
        phase.advance(done)
    assert caplog.messages == [
        "scoring: 5 inputs; its length is estimated from the first 3",
        "scoring: 5/5 inputs done in 0.5 s",
    ]


def test_a_silent_phase_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    phase = Phase(None, "warm-up", 2, "batch")
    phase.start()
    phase.advance(2)
    assert not caplog.records


def test_words() -> None:
    assert [duration(s) for s in (0.42, 42, 210, 7560)] == ["0.4 s", "42 s", "3.5 min", "2.1 h"]
    assert [plural("batch", 2), plural("input", 2), plural("input", 1)] == ["batches", "inputs", "input"]


def test_the_paper_preset_on_a_cpu_says_what_it_costs_and_what_to_pick(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="nat_env.supernet.setup"):
        make_spec("paper", device="cpu")
    assert "preset 'paper' is sized for a GPU" in caplog.text
    assert "10000 batches" in caplog.text
    assert "preset='cpu-small'" in caplog.text
    assert "preset='tiny'" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="nat_env.supernet.setup"):
        make_spec("tiny", device="cpu")
        make_spec("paper", device="cpu", checkpoint="weights.pt")
    assert not caplog.records
