"""Pictures of genotypes: a genotype, or an input/transformed pair β → α, drawn to a PNG or SVG file or an array.

A leaf of the data flow: like every other form of an architecture, a picture is a pure function of
:class:`~nat_env.genotypes.Genotype`. matplotlib is the optional extra ``plot``
(``pip install nat-gym[plot]``), imported only when a picture is drawn. Figures are drawn on a bare
:class:`matplotlib.figure.Figure`, never through ``pyplot``, so no window opens and the global backend
is left alone; the file type follows the path's suffix (Agg for PNG). :func:`rgb_array` draws the
β → α figure into memory for the environments' ``render_mode="rgb_array"``.

Conventions: DARTS cells show their inputs as :math:`c_{k-2}` and :math:`c_{k-1}`, intermediate nodes
numbered from 0, and the output :math:`c_k`; NAS-Bench-201 cells show ``in``, 1, 2, ``out``. Edges are
arrows labelled with their op; null edges are dashed and grey, dead nodes grey, and in
:func:`render_diff` the changed edges are drawn in :data:`HIGHLIGHT`, thicker.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from nat_env.genotypes import Cell, Genotype
from nat_env.transitions import changed_edges

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

HIGHLIGHT = "#d62728"
"""Colour of the edges a transformation changed."""

_EDGE = "#333333"
_NULL = "#aaaaaa"
_FILL = {"input": "#c1e1c1", "node": "#add8e6", "output": "#eee8aa", "dead": "#e0e0e0"}
_RADIUS = 0.38
_MARGIN = 0.7  # around the outermost nodes, in data units
_INCHES = 0.6  # per data unit
_CELL_TITLES = {"darts": ("normal cell", "reduction cell"), "nb201": ("NAS-Bench-201 cell",)}
_FORMATS = (".png", ".svg")


def render(genotype: Genotype, path: str | Path) -> Path:
    """Draw every cell of a genotype side by side.

    Args:
        genotype: the genotype to draw.
        path: where to write; the suffix (``.png`` or ``.svg``) picks the format.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ImportError: if matplotlib is not installed (``pip install nat-gym[plot]``).
        ValueError: for a suffix other than ``.png`` or ``.svg``.
    """
    path = _check_suffix(path)
    return _save(_genotype_figure(genotype), path)


def render_diff(beta: Genotype, alpha: Genotype, path: str | Path) -> Path:
    """Draw an input genotype β above its transformation α, with the changed edges highlighted.

    Args:
        beta: the input genotype.
        alpha: the transformed genotype (same cells and edges as ``beta``, other ops).
        path: where to write; the suffix (``.png`` or ``.svg``) picks the format.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ImportError: if matplotlib is not installed (``pip install nat-gym[plot]``).
        ValueError: for a suffix other than ``.png`` or ``.svg``, or genotypes of different shapes.
    """
    path = _check_suffix(path)
    return _save(_diff_figure(beta, alpha), path)


def frame(
    render_mode: str | None, beta: Genotype, alpha: Genotype | None
) -> str | npt.NDArray[np.uint8] | None:
    """What an environment's ``render()`` returns for an episode: β and α as text (``ansi``), their
    picture (``rgb_array``, see :func:`rgb_array`), or ``None`` (no render mode)."""
    if render_mode == "rgb_array":
        return rgb_array(beta, alpha)
    if render_mode != "ansi":
        return None
    return f"beta:  {beta}" if alpha is None else f"beta:  {beta}\nalpha: {alpha}"


def rgb_array(beta: Genotype, alpha: Genotype | None = None, dpi: int = 80) -> npt.NDArray[np.uint8]:
    """The picture of an episode as pixels: β above α with the changed edges highlighted (as :func:`render_diff`).

    Before the step (``alpha=None``) the row of α is left blank, so every frame of an episode has the same
    size (video recorders need that).

    Args:
        beta: the input genotype.
        alpha: its transformation; ``None``: not chosen yet.
        dpi: pixels per inch of the figure.

    Returns:
        An ``(H, W, 3)`` uint8 RGB array (what Gymnasium's ``render_mode="rgb_array"`` returns).

    Raises:
        ImportError: if matplotlib is not installed (``pip install nat-gym[plot]``).
        ValueError: for genotypes of different shapes.
    """
    figure = _diff_figure(beta, alpha)  # first: it names the extra if matplotlib is missing
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    figure.set_dpi(dpi)
    # matplotlib's Agg canvas carries no annotations.
    canvas.draw()  # type: ignore[no-untyped-call]
    rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
    return np.ascontiguousarray(rgba[..., :3])


def _genotype_figure(genotype: Genotype) -> Figure:
    figure = _figure(rows=1, columns=len(genotype.cells), genotype=genotype)
    for column, cell in enumerate(genotype.cells):
        _draw_cell(figure.axes[column], cell, _CELL_TITLES[genotype.space][column], changed=())
    if genotype.name:
        figure.suptitle(genotype.name)
    return figure


def _diff_figure(beta: Genotype, alpha: Genotype | None) -> Figure:
    figure = _figure(rows=2, columns=len(beta.cells), genotype=beta)
    if alpha is None:
        for column, cell in enumerate(beta.cells):
            _draw_cell(figure.axes[column], cell, f"β (input): {_CELL_TITLES[beta.space][column]}", ())
            figure.axes[len(beta.cells) + column].set_axis_off()
        figure.suptitle(f"{beta.name or 'β'} → α: not chosen yet")
        return figure
    shape = [[(edge.source, edge.target) for edge in cell.edges] for cell in beta.cells]
    if shape != [[(edge.source, edge.target) for edge in cell.edges] for cell in alpha.cells]:
        raise ValueError("β and α must have the same cells and edges (a transformation changes only ops)")
    changed = set(changed_edges(beta, alpha))
    for row, (genotype, role) in enumerate(((beta, "β (input)"), (alpha, "α (transformed)"))):
        start = 0
        for column, cell in enumerate(genotype.cells):
            cell_changed = {index - start for index in changed if start <= index < start + len(cell.edges)}
            title = f"{role}: {_CELL_TITLES[genotype.space][column]}"
            _draw_cell(figure.axes[row * len(genotype.cells) + column], cell, title, cell_changed)
            start += len(cell.edges)
    names = f"{beta.name or 'β'} → {alpha.name or 'α'}"
    figure.suptitle(f"{names}: {len(changed)} edge{'' if len(changed) == 1 else 's'} changed")
    return figure


def _check_suffix(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in _FORMATS:
        raise ValueError(f"cannot draw to {path}: use a .png or .svg path")
    return path


def _figure(rows: int, columns: int, genotype: Genotype) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("drawing genotypes needs matplotlib: pip install nat-gym[plot]") from error
    limits = [_limits(cell) for cell in genotype.cells]
    width = max(x1 - x0 for (x0, x1), _ in limits)
    height = max(y1 - y0 for _, (y0, y1) in limits) + 0.6  # room for the titles
    figure = Figure(figsize=(_INCHES * width * columns, _INCHES * height * rows), layout="constrained")
    figure.subplots(rows, columns, squeeze=False)
    return figure


def _limits(cell: Cell) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x and y ranges of a cell's drawing; NAS-Bench-201 arcs bend outside the row of nodes."""
    xs, ys = zip(*_layout(cell).values(), strict=True)
    bend = 0.9 if cell.style == "nb201" else 0.0
    return (min(xs) - _MARGIN, max(xs) + _MARGIN), (min(ys) - _MARGIN - bend, max(ys) + _MARGIN + bend)


def _save(figure: Figure, path: Path) -> Path:
    figure.savefig(path, format=path.suffix[1:].lower(), dpi=150)
    return path


def _layout(cell: Cell) -> dict[int, tuple[float, float]]:
    """Node positions; DARTS cells get an extra node ``n_nodes`` for the concatenated output.

    DARTS cells put the inputs on the left and the intermediate nodes on a falling diagonal, so the
    edges that fan out of the inputs reach every node from a different angle.
    """
    if cell.style == "nb201":
        return {node: (2.4 * node, 0.0) for node in range(cell.n_nodes)}
    intermediates = range(2, cell.n_nodes)
    top = 0.75 * (len(intermediates) - 1)
    positions = {0: (0.0, 1.2), 1: (0.0, -1.2)}
    for k, node in enumerate(intermediates):
        positions[node] = (3.6 + 1.1 * k, top - 1.5 * k)
    positions[cell.n_nodes] = (3.6 + 1.1 * len(intermediates) + 1.5, 0.0)
    return positions


def _curvature(cell: Cell, source: int, target: int) -> float:
    """How much an edge bends (matplotlib's ``arc3`` radius); positive bends right of its direction."""
    if cell.style == "nb201":
        return {(0, 2): -0.35, (1, 3): 0.35, (0, 3): 0.45}.get((source, target), 0.0)
    # An edge that skips an intermediate node would run straight through it on the diagonal.
    return 0.45 if source >= cell.n_inputs and target - source > 1 else 0.1


def _label(cell: Cell, node: int) -> str:
    if cell.style == "nb201":
        return {0: "in", cell.n_nodes - 1: "out"}.get(node, str(node))
    return {0: "$c_{k-2}$", 1: "$c_{k-1}$", cell.n_nodes: "$c_{k}$"}.get(node, str(node - 2))


def _fill(cell: Cell, node: int, live: Collection[int]) -> str:
    if node < cell.n_inputs:
        return _FILL["input"]
    if node not in live:
        return _FILL["dead"]
    output = cell.n_nodes - 1 if cell.style == "nb201" else cell.n_nodes
    return _FILL["output"] if node == output else _FILL["node"]


def _draw_cell(axes: Axes, cell: Cell, title: str, changed: Collection[int]) -> None:
    from matplotlib.patches import Circle, FancyArrowPatch

    positions = _layout(cell)
    live = cell.live_nodes() | {cell.n_nodes}
    circles = {}
    for node, centre in positions.items():
        circles[node] = Circle(centre, _RADIUS, facecolor=_fill(cell, node, live), edgecolor=_EDGE, zorder=3)
        axes.add_patch(circles[node])
        axes.text(*centre, _label(cell, node), ha="center", va="center", fontsize=9, zorder=4)

    def arrow(source: int, target: int, style: dict[str, Any], rad: float) -> None:
        axes.add_patch(
            FancyArrowPatch(
                positions[source],
                positions[target],
                patchA=circles[source],
                patchB=circles[target],
                arrowstyle="-|>",
                mutation_scale=10,
                connectionstyle=f"arc3,rad={rad}",
                zorder=2,
                **style,
            )
        )

    drawn: set[tuple[int, int]] = set()
    for index, edge in enumerate(cell.edges):
        null, highlight = edge.op == "none", index in changed
        colour = HIGHLIGHT if highlight else _NULL if null else _EDGE
        rad = _curvature(cell, edge.source, edge.target)
        if (edge.source, edge.target) in drawn:  # a node may sum the same input twice (AmoebaNet)
            rad = -rad - 0.2
        drawn.add((edge.source, edge.target))
        arrow(
            edge.source,
            edge.target,
            {"color": colour, "lw": 2.4 if highlight else 1.0, "linestyle": "--" if null else "-"},
            rad,
        )
        (xa, ya), (xb, yb) = positions[edge.source], positions[edge.target]
        # The midpoint of matplotlib's arc3 curve, so the label sits on its edge.
        x, y = (xa + xb) / 2 + rad * (yb - ya) / 2, (ya + yb) / 2 - rad * (xb - xa) / 2
        axes.text(
            x,
            y,
            edge.op,
            ha="center",
            va="center",
            fontsize=7,
            color=colour,
            zorder=5,
            fontweight="bold" if highlight else "normal",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
    if cell.style == "darts":
        for node in cell.concat:
            dead = node not in live
            arrow(node, cell.n_nodes, {"color": _NULL, "lw": 0.8, "linestyle": ":" if dead else "-"}, 0.0)

    (x0, x1), (y0, y1) = _limits(cell)
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    axes.set_aspect("equal")
    axes.set_axis_off()
    axes.set_title(title, fontsize=10)
