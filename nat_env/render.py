"""Pictures of genotypes: a genotype, or an input/transformed pair β → α, drawn to a PNG or SVG file.

A leaf of the data flow: like every other form of an architecture, a picture is a pure function of
:class:`~nat_env.genotypes.Genotype`. This module holds the drawing's geometry (where nodes, edges and
labels go), shared with the episode frames of :mod:`nat_env.frames` (Pillow, for
``render_mode="rgb_array"``), and draws files with matplotlib, the optional extra ``plot`` (``pip install
nat-gym[plot]``), imported only when a picture is drawn. Figures are drawn on a bare
:class:`matplotlib.figure.Figure`, never through ``pyplot``, so no window opens and the global backend
is left alone; the file type follows the path's suffix (Agg for PNG).

Conventions: DARTS cells show their inputs as :math:`c_{k-2}` and :math:`c_{k-1}`, intermediate nodes
numbered from 0, and the output :math:`c_k`; NAS-Bench-201 cells show ``in``, 1, 2, ``out``. Edges are
arrows labelled with their op; a label sits on its edge where it covers no node and no other label
(:func:`cell_drawing`); null edges are dashed and grey, dead nodes grey, and in :func:`render_diff` the
changed edges are drawn in :data:`HIGHLIGHT`, thicker. Given their accuracies, a diff's title shows them.
The frame of a cell depends only on its shape (every edge it could hold, every place a label could go),
so every picture of one space has one size and no label is cut.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nat_env.genotypes import Cell, Genotype
from nat_env.transitions import changed_edges

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

HIGHLIGHT = "#d62728"
"""Colour of the edges a transformation changed."""

EDGE = "#333333"
NULL = "#aaaaaa"
FILL = {"input": "#c1e1c1", "node": "#add8e6", "output": "#eee8aa", "dead": "#e0e0e0"}
RADIUS = 0.38
"""Node radius, in data units (as every length below)."""
INCHES = 0.6
"""Inches per data unit."""
LABEL_POINTS = 7
"""Font size of the edge labels, in points (1/72 inch)."""
CELL_TITLES = {"darts": ("normal cell", "reduction cell"), "nb201": ("NAS-Bench-201 cell",)}
_MARGIN = 0.3  # around everything drawn
_WIDEST_OP = "max_pool_3x3"  # the longest op name of the NAT and NAS-Bench-201 vocabularies
_SPOTS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78)  # where along its edge a label may sit, in order of choice
_FORMATS = (".png", ".svg")

Point = tuple[float, float]
Box = tuple[float, float, float, float]
"""``(x0, y0, x1, y1)``."""
TextSize = Callable[[str], tuple[float, float]]
"""Width and height of a label's box, in data units."""


@dataclass(frozen=True)
class EdgeDrawing:
    """One edge as drawn: a quadratic Bézier curve (matplotlib's ``arc3``) and the centre of its label.

    Attributes:
        source, target: the edge's nodes.
        start, control, end: the curve's points (the centres of its nodes and the control point).
        op: the label.
        colour: the arrow's and the label's colour.
        highlight: whether a transformation changed the edge.
        null: whether the edge is ``none`` (dashed).
        label_at: the label's centre.
        rad: the curvature (``arc3``'s radius).
    """

    source: int
    target: int
    start: Point
    control: Point
    end: Point
    op: str
    colour: str
    highlight: bool
    null: bool
    label_at: Point
    rad: float


def label_size(text: str) -> tuple[float, float]:
    """The box of an edge label drawn by matplotlib (DejaVu Sans at :data:`LABEL_POINTS`, padded), in data
    units; a slight overestimate, so that boxes placed apart stay apart."""
    unit = LABEL_POINTS / 72 / INCHES  # one em in data units
    return 0.66 * unit * len(text) + 0.4 * unit, 1.6 * unit


def layout(cell: Cell) -> dict[int, Point]:
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


def curvature(cell: Cell, source: int, target: int) -> float:
    """How much an edge bends (matplotlib's ``arc3`` radius); positive bends right of its direction."""
    if cell.style == "nb201":
        return {(0, 2): -0.35, (1, 3): 0.35, (0, 3): 0.45}.get((source, target), 0.0)
    # An edge that skips an intermediate node would run straight through it on the diagonal.
    return 0.45 if source >= cell.n_inputs and target - source > 1 else 0.1


def node_label(cell: Cell, node: int, math: bool = True) -> str:
    """A node's label: mathtext for matplotlib (``$c_{k-2}$``), plain text otherwise (``c[k-2]``)."""
    if cell.style == "nb201":
        return {0: "in", cell.n_nodes - 1: "out"}.get(node, str(node))
    names = {0: "k-2", 1: "k-1", cell.n_nodes: "k"}
    if node in names:
        return f"$c_{{{names[node]}}}$" if math else f"c[{names[node]}]"
    return str(node - 2)


def node_fill(cell: Cell, node: int, live: Collection[int]) -> str:
    """A node's fill colour: input, live intermediate, output, or dead."""
    if node < cell.n_inputs:
        return FILL["input"]
    if node not in live:
        return FILL["dead"]
    output = cell.n_nodes - 1 if cell.style == "nb201" else cell.n_nodes
    return FILL["output"] if node == output else FILL["node"]


def bezier(start: Point, control: Point, end: Point, t: float) -> Point:
    """The point at ``t`` in [0, 1] of a quadratic Bézier curve."""
    a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
    return (a * start[0] + b * control[0] + c * end[0], a * start[1] + b * control[1] + c * end[1])


def _control(start: Point, end: Point, rad: float) -> Point:
    """matplotlib's ``arc3`` control point (in data units: the axes keep an equal aspect)."""
    (xa, ya), (xb, yb) = start, end
    return (xa + xb) / 2 + rad * (yb - ya), (ya + yb) / 2 - rad * (xb - xa)


def _box(centre: Point, size: tuple[float, float]) -> Box:
    (x, y), (w, h) = centre, size
    return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _curves(cell: Cell, pairs: Sequence[tuple[int, int]]) -> Iterator[tuple[Point, Point, Point, float]]:
    """Start, control, end and curvature of each edge; a node summing one input twice (AmoebaNet) gets
    its second edge bent the other way."""
    positions = layout(cell)
    drawn: set[tuple[int, int]] = set()
    for pair in pairs:
        rad = curvature(cell, *pair)
        if pair in drawn:
            rad = -rad - 0.2
        drawn.add(pair)
        start, end = positions[pair[0]], positions[pair[1]]
        yield start, _control(start, end, rad), end, rad


def cell_drawing(cell: Cell, changed: Collection[int], text_size: TextSize = label_size) -> list[EdgeDrawing]:
    """Every edge of a cell as drawn, each label at the first spot along its edge that overlaps no node
    and no label placed before it (the least overlapping spot when none is free).

    Args:
        cell: the cell.
        changed: indices (in ``cell.edges``) of the edges to highlight.
        text_size: the size of a label's box in data units (the drawing backend's).
    """
    nodes = [_box(centre, (2 * RADIUS, 2 * RADIUS)) for centre in layout(cell).values()]
    placed: list[Box] = []
    drawings = []
    pairs = [(edge.source, edge.target) for edge in cell.edges]
    for index, (edge, (start, control, end, rad)) in enumerate(
        zip(cell.edges, _curves(cell, pairs), strict=True)
    ):
        size = text_size(edge.op)
        spots = [bezier(start, control, end, t) for t in _SPOTS]
        costs = [sum(_overlap(_box(spot, size), other) for other in (*nodes, *placed)) for spot in spots]
        spot = spots[costs.index(min(costs))]
        placed.append(_box(spot, size))
        null, highlight = edge.op == "none", index in changed
        colour = HIGHLIGHT if highlight else NULL if null else EDGE
        drawings.append(
            EdgeDrawing(
                edge.source, edge.target, start, control, end, edge.op, colour, highlight, null, spot, rad
            )
        )
    return drawings


def limits(cell: Cell, text_size: TextSize = label_size) -> Box:
    """The frame of a cell's drawing: every node, every curve of an edge it could hold (a DARTS pair in
    either bend) and a widest label at any spot on it, with a margin. It depends only on the cell's shape."""
    positions = layout(cell)
    pairs = [(s, t) for t in range(cell.n_inputs, cell.n_nodes) for s in range(t)]
    if cell.style == "darts":  # the concatenation, and a second edge of one pair (AmoebaNet's)
        pairs += [*pairs, *((node, cell.n_nodes) for node in range(cell.n_nodes))]
    w, h = text_size(_WIDEST_OP)
    boxes = [_box(centre, (2 * RADIUS, 2 * RADIUS)) for centre in positions.values()]
    for start, control, end, _ in _curves(cell, pairs):
        for t in (0.0, *_SPOTS, 1.0):
            boxes.append(_box(bezier(start, control, end, t), (w, h) if 0 < t < 1 else (0.0, 0.0)))
    return (
        min(b[0] for b in boxes) - _MARGIN,
        min(b[1] for b in boxes) - _MARGIN,
        max(b[2] for b in boxes) + _MARGIN,
        max(b[3] for b in boxes) + _MARGIN,
    )


def diff_title(
    beta: Genotype, alpha: Genotype | None, accuracies: tuple[float, float] | None, greek: bool = True
) -> str:
    """The title of a β → α picture: the names, the changed edges and, when given, both accuracies."""
    b, a, arrow = ("β", "α", "→") if greek else ("beta", "alpha", "->")
    if alpha is None:
        return f"{beta.name or b} {arrow} {a}: not chosen yet"
    changed = len(changed_edges(beta, alpha))
    title = f"{beta.name or b} {arrow} {alpha.name or a}: {changed} edge{'' if changed == 1 else 's'} changed"
    if accuracies is not None:
        title += f"; accuracy {100 * accuracies[0]:.2f} % {arrow} {100 * accuracies[1]:.2f} %"
    return title


def row_titles(greek: bool = True) -> tuple[str, str]:
    """The roles of a diff's two rows."""
    return ("β (input)", "α (transformed)") if greek else ("beta (input)", "alpha (transformed)")


def check_same_shape(beta: Genotype, alpha: Genotype) -> None:
    """Raise a ``ValueError`` unless α has β's cells and edges (a transformation changes only ops)."""
    shape = [[(edge.source, edge.target) for edge in cell.edges] for cell in beta.cells]
    if shape != [[(edge.source, edge.target) for edge in cell.edges] for cell in alpha.cells]:
        raise ValueError("β and α must have the same cells and edges (a transformation changes only ops)")


def changed_by_cell(beta: Genotype, alpha: Genotype | None) -> list[set[int]]:
    """Per cell, the indices (within the cell) of the edges α changed."""
    changed = set(changed_edges(beta, alpha)) if alpha is not None else set()
    found, start = [], 0
    for cell in beta.cells:
        found.append({i - start for i in changed if start <= i < start + len(cell.edges)})
        start += len(cell.edges)
    return found


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
    return _save(genotype_figure(genotype), path)


def render_diff(
    beta: Genotype, alpha: Genotype, path: str | Path, accuracies: tuple[float, float] | None = None
) -> Path:
    """Draw an input genotype β above its transformation α, with the changed edges highlighted.

    Args:
        beta: the input genotype.
        alpha: the transformed genotype (same cells and edges as ``beta``, other ops).
        path: where to write; the suffix (``.png`` or ``.svg``) picks the format.
        accuracies: the validation accuracies of β and α (fractions), shown in the title when given.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ImportError: if matplotlib is not installed (``pip install nat-gym[plot]``).
        ValueError: for a suffix other than ``.png`` or ``.svg``, or genotypes of different shapes.
    """
    path = _check_suffix(path)
    return _save(diff_figure(beta, alpha, accuracies), path)


def genotype_figure(genotype: Genotype) -> Figure:
    """The matplotlib figure of :func:`render`."""
    figure = _figure(rows=1, genotype=genotype)
    for column, cell in enumerate(genotype.cells):
        _draw_cell(figure.axes[column], cell, CELL_TITLES[genotype.space][column], changed=())
    if genotype.name:
        figure.suptitle(genotype.name)
    return figure


def diff_figure(beta: Genotype, alpha: Genotype, accuracies: tuple[float, float] | None = None) -> Figure:
    """The matplotlib figure of :func:`render_diff`."""
    check_same_shape(beta, alpha)
    figure = _figure(rows=2, genotype=beta)
    changed = changed_by_cell(beta, alpha)
    for row, (genotype, role) in enumerate(zip((beta, alpha), row_titles(), strict=True)):
        for column, cell in enumerate(genotype.cells):
            title = f"{role}: {CELL_TITLES[genotype.space][column]}"
            _draw_cell(figure.axes[row * len(genotype.cells) + column], cell, title, changed[column])
    figure.suptitle(diff_title(beta, alpha, accuracies))
    return figure


def _check_suffix(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in _FORMATS:
        raise ValueError(f"cannot draw to {path}: use a .png or .svg path")
    return path


def _figure(rows: int, genotype: Genotype) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("drawing genotypes needs matplotlib: pip install nat-gym[plot]") from error
    frames = [limits(cell) for cell in genotype.cells]
    width = max(x1 - x0 for x0, _, x1, _ in frames)
    height = max(y1 - y0 for _, y0, _, y1 in frames) + 0.6  # room for the titles
    columns = len(genotype.cells)
    figure = Figure(figsize=(INCHES * width * columns, INCHES * height * rows), layout="constrained")
    figure.subplots(rows, columns, squeeze=False)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    figure.savefig(path, format=path.suffix[1:].lower(), dpi=150)
    return path


def _draw_cell(axes: Axes, cell: Cell, title: str, changed: Collection[int]) -> None:
    from matplotlib.patches import Circle, FancyArrowPatch

    positions = layout(cell)
    live = cell.live_nodes() | {cell.n_nodes}
    circles = {}
    for node, centre in positions.items():
        circles[node] = Circle(
            centre, RADIUS, facecolor=node_fill(cell, node, live), edgecolor=EDGE, zorder=3
        )
        axes.add_patch(circles[node])
        axes.text(*centre, node_label(cell, node), ha="center", va="center", fontsize=9, zorder=4)

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

    for edge in cell_drawing(cell, changed):
        style = {
            "color": edge.colour,
            "lw": 2.4 if edge.highlight else 1.0,
            "linestyle": "--" if edge.null else "-",
        }
        arrow(edge.source, edge.target, style, edge.rad)
        axes.text(
            *edge.label_at,
            edge.op,
            ha="center",
            va="center",
            fontsize=LABEL_POINTS,
            color=edge.colour,
            zorder=5,
            fontweight="bold" if edge.highlight else "normal",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
    if cell.style == "darts":
        for node in cell.concat:
            dead = node not in live
            style = {"color": NULL, "lw": 0.8, "linestyle": ":" if dead else "-"}
            arrow(node, cell.n_nodes, style, 0.0)

    x0, y0, x1, y1 = limits(cell)
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    axes.set_aspect("equal")
    axes.set_axis_off()
    axes.set_title(title, fontsize=10)
