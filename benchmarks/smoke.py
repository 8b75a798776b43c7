"""Every benchmark on a tiny budget, results to a temporary folder (``make bench-smoke``; CI runs it).

Checks that the scripts run end to end; the committed result files come from full runs.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from benchmarks import (
    agents_nb201,
    demo,
    fidelity_grouping,
    nb201_reference,
    nb201_speed,
    published_cells,
    scratch_pairs,
    supernet_fidelity,
    supernet_profile,
    supernet_speed,
)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        if os.environ.get("NAT_NB201_TABLE"):
            nb201_reference.main(["--out", str(out / "reference.json")])
            nb201_speed.main(
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
            agents_nb201.main(["--smoke", "--out", str(out / "agents.json")])
            demo.main(["--steps", "64", "--n-eval", "4", "--out-dir", str(out / "demo")])
            if os.environ.get("NAT_CIFAR10_ARCHIVE"):
                supernet_fidelity.main(["--smoke", "--out", str(out / "fidelity.json")])
                grouped = ["--archs-per-step", "2", "--lr-scaling", "sqrt"]
                supernet_fidelity.main(["--smoke", *grouped, "--out", str(out / "fidelity_k2.json")])
                runs = str(out / "fidelity_k2_smoke.json")
                reference = ["--references", str(out / "fidelity_smoke.json"), "--bootstrap", "50"]
                fidelity_grouping.main([*reference, "--runs", runs, "--out", str(out / "grouping.json")])
        else:
            print("NAT_NB201_TABLE is not set: skipping the NAS-Bench-201 benchmarks")
        supernet_speed.main(
            [
                *("--preset", "tiny", "--device", "cpu", "--threads", "1", "--budget-seconds", "10"),
                *("--train-steps", "3", "--reward-calls", "3", "--warmup-calls", "1", "--env-steps", "2"),
                *("--archs-per-step", "2", "--archs-per-pass", "4", "--agreement-pairs", "4"),
                *("--agreement-images", "128", "--out", str(out / "supernet.json")),
            ]
        )
        supernet_profile.main(
            [
                *("--preset", "tiny", "--device", "cpu", "--pairs", "2", "--calls", "1"),
                *("--rows-sweep", "128", "--out", str(out / "profile.json")),
            ]
        )
        if os.environ.get("NAT_CIFAR10_ARCHIVE"):
            published_cells.main(["--smoke", "--out", str(out / "published.json")])
            scratch_pairs.main(
                ["--smoke", "--runs-dir", str(out / "scratch"), "--out", str(out / "scratch.json")]
            )
        else:
            print("NAT_CIFAR10_ARCHIVE is not set: skipping the published-cells and from-scratch benchmarks")
    print("benchmark smoke runs: ok")


if __name__ == "__main__":
    main()
