"""Episode frames: β above α as an RGB array, drawn with Pillow (``render_mode="rgb_array"``).

A leaf of the data flow, beside :mod:`nat_env.render`, whose geometry it draws (the same nodes, curves,
label spots, colours and titles). Pillow comes with torchvision, so frames need no optional extra; text
is plain ASCII (``beta``, ``alpha``, ``->``), which Pillow's built-in font covers. A frame's size depends
only on the cells' shape, so every frame of an environment has one size (video recorders need that).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import cache

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from nat_env.genotypes import Cell, Genotype
from nat_env.render import (
    CELL_TITLES,
    EDGE,
    INCHES,
    LABEL_POINTS,
    NULL,
    RADIUS,
    EdgeDrawing,
    Point,
    bezier,
    cell_drawing,
    changed_by_cell,
    check_same_shape,
    diff_title,
    layout,
    limits,
    node_fill,
    node_label,
    row_titles,
)

_TITLE_POINTS = 10
_CURVE_POINTS = 32  # points per drawn edge


@cache
def _font(pixels: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=pixels)


def frame(
    render_mode: str | None,
    beta: Genotype,
    alpha: Genotype | None,
    accuracies: tuple[float, float] | None = None,
) -> str | npt.NDArray[np.uint8] | None:
    """What an environment's ``render()`` returns for an episode: β and α as text (``ansi``), their
    picture (``rgb_array``, see :func:`rgb_array`), or ``None`` (no render mode)."""
    if render_mode == "rgb_array":
        return rgb_array(beta, alpha, accuracies=accuracies)
    if render_mode != "ansi":
        return None
    return f"beta:  {beta}" if alpha is None else f"beta:  {beta}\nalpha: {alpha}"


def rgb_array(
    beta: Genotype,
    alpha: Genotype | None = None,
    dpi: int = 80,
    accuracies: tuple[float, float] | None = None,
) -> npt.NDArray[np.uint8]:
    """The picture of an episode as pixels: β above α with the changed edges highlighted.

    Before the step (``alpha=None``) the row of α is left blank, so every frame of an episode has the
    same size.

    Args:
        beta: the input genotype.
        alpha: its transformation; ``None``: not chosen yet.
        dpi: pixels per inch (a data unit of the drawing is :data:`~nat_env.render.INCHES` inches).
        accuracies: the accuracies of β and α (fractions), shown in the title when given.

    Returns:
        An ``(H, W, 3)`` uint8 RGB array (what Gymnasium's ``render_mode="rgb_array"`` returns).

    Raises:
        ValueError: for genotypes of different shapes.
    """
    if alpha is not None:
        check_same_shape(beta, alpha)
    scale = INCHES * dpi  # pixels per data unit
    label_font, title_font = _font(_pixels(LABEL_POINTS, dpi)), _font(_pixels(_TITLE_POINTS, dpi))

    def text_size(text: str) -> tuple[float, float]:
        pad = 0.3 * LABEL_POINTS * dpi / 72
        return (_width(label_font, text) + 2 * pad) / scale, (_height(label_font) + 2 * pad) / scale

    frames = [limits(cell, text_size) for cell in beta.cells]
    panel_w = math.ceil(scale * max(x1 - x0 for x0, _, x1, _ in frames))
    band = math.ceil(2 * _height(title_font))  # a title's height, with room around it
    panel_h = math.ceil(scale * max(y1 - y0 for _, y0, _, y1 in frames)) + band
    image = Image.new("RGB", (panel_w * len(beta.cells), band + 2 * panel_h), "white")
    draw = ImageDraw.Draw(image)
    title = diff_title(beta, alpha, accuracies, greek=False)
    draw.text((image.width / 2, band / 2), title, fill=EDGE, font=title_font, anchor="mm")
    changed = changed_by_cell(beta, alpha)
    for row, (genotype, role) in enumerate(zip((beta, alpha), row_titles(greek=False), strict=True)):
        if genotype is None:
            continue
        for column, cell in enumerate(genotype.cells):
            left, top = column * panel_w, band + row * panel_h
            name = f"{role}: {CELL_TITLES[genotype.space][column]}"
            draw.text((left + panel_w / 2, top + band / 2), name, fill=EDGE, font=title_font, anchor="mm")
            x0, _, _, y1 = frames[column]

            def pixel(
                point: Point, left: int = left, top: int = top, x0: float = x0, y1: float = y1
            ) -> Point:
                return left + scale * (point[0] - x0), top + band + scale * (y1 - point[1])

            _draw_cell(draw, cell, cell_drawing(cell, changed[column], text_size), pixel, scale, dpi)
    return np.asarray(image, dtype=np.uint8).copy()


def _pixels(points: float, dpi: int) -> int:
    return max(6, round(points * dpi / 72))


def _width(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str) -> float:
    x0, _, x1, _ = font.getbbox(text)
    return float(x1 - x0)


def _height(font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> float:
    _, y0, _, y1 = font.getbbox("Ag[")
    return float(y1 - y0)


def _draw_cell(
    draw: ImageDraw.ImageDraw,
    cell: Cell,
    edges: list[EdgeDrawing],
    pixel: Callable[[Point], Point],
    scale: float,
    dpi: int,
) -> None:
    """Edges, then nodes, then labels (as matplotlib stacks them), in pixels given by ``pixel``."""
    positions = layout(cell)
    radius, head = RADIUS * scale, 0.16 * scale
    for edge in edges:
        width = max(1, round((2.4 if edge.highlight else 1.0) * dpi / 72))
        steps = range(_CURVE_POINTS + 1)
        curve = [pixel(bezier(edge.start, edge.control, edge.end, i / _CURVE_POINTS)) for i in steps]
        _arrow(draw, curve, radius, head, edge.colour, width, dashed=edge.null)
    if cell.style == "darts":
        live = cell.live_nodes()
        for node in cell.concat:
            start, end = pixel(positions[node]), pixel(positions[cell.n_nodes])
            line = [bezier(start, start, end, i / _CURVE_POINTS) for i in range(_CURVE_POINTS + 1)]
            _arrow(draw, line, radius, head, NULL, 1, dashed=node not in live)
    live_or_output = cell.live_nodes() | {cell.n_nodes}
    node_font, label_font = _font(_pixels(9, dpi)), _font(_pixels(LABEL_POINTS, dpi))
    for node, centre in positions.items():
        x, y = pixel(centre)
        fill = node_fill(cell, node, live_or_output)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill, outline=EDGE)
        draw.text((x, y), node_label(cell, node, math=False), fill="black", font=node_font, anchor="mm")
    pad = 0.15 * LABEL_POINTS * dpi / 72
    for edge in edges:
        x, y = pixel(edge.label_at)
        x0, y0, x1, y1 = draw.textbbox((x, y), edge.op, font=label_font, anchor="mm")
        draw.rounded_rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), radius=pad, fill="white")
        draw.text((x, y), edge.op, fill=edge.colour, font=label_font, anchor="mm")


def _arrow(
    draw: ImageDraw.ImageDraw,
    points: list[Point],
    radius: float,
    head: float,
    colour: str,
    width: int,
    dashed: bool,
) -> None:
    """A polyline from the rim of its first node to an arrowhead at the rim of its last."""
    start, end = points[0], points[-1]
    kept = [p for p in points if math.dist(p, start) > radius and math.dist(p, end) > radius + head]
    if len(kept) < 2:
        return
    for i, segment in enumerate(itertools.pairwise(kept)):
        if not dashed or i % 2 == 0:
            draw.line(segment, fill=colour, width=width)
    dx, dy = end[0] - kept[-1][0], end[1] - kept[-1][1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    tip = (end[0] - ux * radius, end[1] - uy * radius)
    base = (tip[0] - ux * head, tip[1] - uy * head)
    side = (-uy * head / 2.5, ux * head / 2.5)
    corners = [tip, (base[0] + side[0], base[1] + side[1]), (base[0] - side[0], base[1] - side[1])]
    draw.polygon(corners, fill=colour)
