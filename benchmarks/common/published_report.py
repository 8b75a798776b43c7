"""Data and tables of the published-cells benchmark (``benchmarks/published.py``): the authors'
transformations, the paper's accuracies, the mean changes and the Markdown table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.common.report import markdown_table

AUTHORS: dict[str, dict[str, str]] = {
    "nat": {
        "DARTS_V2": "NAT_DARTS",
        "ENAS": "NAT_ENAS",
        "VGG": "NAT_VGG",
        "ResBlock": "NAT_ResBlock",
        "MobileNetV2": "NAT_MobileNetV2",
        "NAONet": "NAT_NAONet",
    },
    "nat++": {
        "DARTS_V2": "NATPP_DARTS",
        "ENAS": "NATPP_ENAS",
        "VGG": "NATPP_VGG",
        "ResBlock": "NATPP_ResBlock",
        "MobileNetV2": "NATPP_MobileNetV2",
        "NAONet": "NATPP_NAONet",
    },
}
"""Per transitions, the authors' published transformation of each input cell."""

PAPER_C10: dict[str, tuple[str, str, str]] = {
    "DARTS_V2": ("97.06", "97.28", "NAT Table 2 (cell in the 20-cell, 36-channel network)"),
    "ENAS": ("97.11", "97.24", "NAT Table 2"),
    "NAONet": ("97.89", "98.01", "NAT Table 2"),
    "VGG": ("93.56 (VGG16 net)", "96.04 (VGG16 net)", "NAT Table 1: the whole hand-crafted VGG16"),
    "ResBlock": (
        "91.37 / 93.21 (ResNet20 / 56 nets)",
        "92.95 / 95.40 (ResNet20 / 56 nets)",
        "NAT Table 1: the whole hand-crafted ResNet20 and ResNet56",
    ),
    "MobileNetV2": ("94.47 (MobileNetV2 net)", "95.17 (MobileNetV2 net)", "NAT Table 1: the whole network"),
}
"""The paper's trained-from-scratch CIFAR-10 accuracies (original, NAT), from the paper (docs/background.md, section 4)."""


def summarise(cells: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean over the representable cells of each method's change against the original cell."""
    done = [c["variants"] for c in cells if c["representable"]]
    summary: dict[str, Any] = {"cells": len(done)}
    for method in ("sampling", "maximum", "authors"):
        summary[method] = {
            f"mean_delta_{key}": float(np.mean([v[method][key] - v["original"][key] for v in done]))
            for key in ("val_acc", "test_acc", "params_m", "madds_m")
        }
    return summary


def markdown(results: dict[str, Any]) -> str:
    """The Table 2 analogue as Markdown."""
    header = [
        "cell",
        "method",
        "params M",
        "MAdds M",
        "supernet val acc %",
        "supernet test acc % (info)",
        "edges changed",
        "paper C10 acc %",
    ]
    labels = {
        "original": "original",
        "sampling": "ours Sampling",
        "maximum": "ours Maximum",
        "authors": "authors' NAT",
    }
    rows: list[list[Any]] = []
    for cell in results["cells"]:
        name = cell["cell"]
        if not cell["representable"]:
            rows.append([name, f"not representable: {cell['reason']}", "", "", "", "", "", ""])
            continue
        paper = PAPER_C10.get(name, ("", "", ""))
        for method, row in cell["variants"].items():
            paper_acc = {"original": paper[0], "authors": paper[1]}.get(method, "")
            rows.append(
                [
                    name,
                    labels[method] + (f" ({cell['authors_name']})" if method == "authors" else ""),
                    f"{row['params_m']:.2f}",
                    f"{row['madds_m']:.0f}",
                    f"{row['val_acc']:.2f}",
                    f"{row['test_acc']:.2f}",
                    str(len(row["changed_edges"])),
                    paper_acc,
                ]
            )
    summary = results["summary"]
    lines = [markdown_table(header, rows), ""]
    lines.append(f"Mean change over {summary['cells']} representable cells (vs original):")
    for method in ("sampling", "maximum", "authors"):
        s = summary[method]
        lines.append(
            f"- {labels[method]}: val {s['mean_delta_val_acc']:+.2f} points, test (info) "
            f"{s['mean_delta_test_acc']:+.2f} points, params {s['mean_delta_params_m']:+.3f} M, "
            f"MAdds {s['mean_delta_madds_m']:+.1f} M"
        )
    lines.append("")
    lines.append("Transformed genotypes (ours) and changed edges:")
    for cell in results["cells"]:
        if cell["representable"]:
            for method in ("sampling", "maximum"):
                row = cell["variants"][method]
                changes = "; ".join(row["changed_edges"]) or "none (β kept)"
                lines.append(f"- {cell['cell']} {labels[method]}: {changes}")
    return "\n".join(lines) + "\n"
