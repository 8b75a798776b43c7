"""Every benchmark on a tiny budget, results to a temporary folder (``make bench-smoke``; CI runs it).

Checks that the scripts run end to end; the committed result files come from full runs.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from types import ModuleType


def script(name: str) -> ModuleType:
    """A benchmark script by module name (scripts never import one another)."""
    return importlib.import_module(f"benchmarks.{name}")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        if os.environ.get("NAT_NB201_TABLE"):
            script("reference").main(["--out", str(out / "reference.json")])
            script("env_speed").main(
                [
                    "--out",
                    str(out / "speed.json"),
                    "--single-steps",
                    "200",
                    "--batched-steps",
                    "5",
                    "--repeats",
                    "1",
                ]
            )
            script("learners").main(["--smoke", "--out", str(out / "agents.json")])
            script("learner_speed").main(["--smoke", "--out", str(out / "learner_speed.json")])
            if os.environ.get("NAT_CIFAR10_ARCHIVE"):
                variants = ["--variants", "sampler=mixture,archs_per_step=2+lr_scaling=sqrt"]
                script("fidelity").main(["--smoke", *variants, "--out", str(out / "fidelity.json")])
                script("end_to_end").main(["--smoke", "--out", str(out / "end_to_end.json")])
                script("standalone_ceiling").main(["--smoke", "--out", str(out / "standalone_ceiling.json")])
        else:
            print("NAT_NB201_TABLE is not set: skipping the NAS-Bench-201 benchmarks")
        script("supernet_speed").main(
            [
                *("--preset", "tiny", "--device", "cpu", "--threads", "1", "--budget-seconds", "10"),
                *("--train-steps", "3", "--reward-calls", "3", "--warmup-calls", "1", "--env-steps", "2"),
                *("--archs-per-step", "2", "--archs-per-pass", "4", "--agreement-pairs", "4"),
                *("--agreement-images", "128", "--out", str(out / "supernet.json")),
            ]
        )
        script("supernet_profile").main(
            [
                *("--preset", "tiny", "--device", "cpu", "--pairs", "2", "--calls", "1"),
                *("--rows-sweep", "128", "--out", str(out / "profile.json")),
            ]
        )
        script("cli_speed").main(["--smoke", "--out", str(out / "cli_speed.json")])
        if os.environ.get("NAT_CIFAR10_ARCHIVE"):
            script("published").main(["--smoke", "--out", str(out / "published.json")])
            script("scratch").main(
                ["--smoke", "--runs-dir", str(out / "scratch"), "--out", str(out / "scratch.json")]
            )
            script("pretrain_scaling").main(["--smoke", "--out", str(out / "scaling.json")])
        else:
            print("NAT_CIFAR10_ARCHIVE is not set: skipping the published-cells and from-scratch benchmarks")
    print("benchmark smoke runs: ok")


if __name__ == "__main__":
    main()
