"""Server-rendered SVG charts of the figures: bar charts and the departments coloured by quantity.

Pure functions from figures to SVG markup: no JavaScript, no network, no map tiles, and the
same input always gives the same bytes. Every piece of text goes through `format_html`, so a
label typed by staff ("<b>FabLab</b>") is shown, never interpreted. A chart is a picture with
a title and a summary for assistive technologies; the data table the page shows beside it is
the accessible truth. The ink, the outlines of the departments and the markup helpers are the
core's (`tilab.svg`), shared with the directory's map and the network graph.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from tilab.money import group_thousands
from tilab.svg import (
    DEPARTMENT_SHAPES,
    INK,
    MAP_HEIGHT,
    MAP_PALETTE,
    MAP_WIDTH,
    MUTED,
    SVG_END,
    svg_join,
    svg_open,
)
from tilab.svg import svg_number as _n

GRID = "#c9d1d9"
BAR = "#00507a"
BAR_HIGHLIGHTED = "#b35c00"
MAX_LABEL_CHARS = 28

Formatter = Callable[[int], str]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    highlighted: bool = False


def _short(label: str) -> str:
    """Long labels are cut on the chart; the table beside it gives them in full."""
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def nice_step(largest: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 × 10ⁿ) such that `ticks` steps reach at least `largest`."""
    wanted = max(1, -(-int(largest) // ticks))
    magnitude = 1
    while magnitude * 10 < wanted:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= wanted:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop above always returns


def axis_scale(largest: int) -> tuple[int, list[int]]:
    """The top of the value axis and its ticks, from 0, in round steps."""
    step = nice_step(largest)
    top = step * max(1, -(-int(largest) // step))
    return top, list(range(0, top + 1, step))


def _empty(text: str | None) -> SafeString:
    return format_html(
        '<p class="chart-empty">{}</p>', text or _("Aucune donnée à représenter pour l'instant.")
    )


def bar_chart_horizontal(
    *,
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    value_label: str,
    format_value: Formatter = group_thousands,
    empty_text: str | None = None,
    width: int = 480,
) -> SafeString:
    """One horizontal bar per category, labelled on the left, its value at its end; a value
    axis with round ticks below. Bar lengths are proportional to the values."""
    if not bars:
        return _empty(empty_text)
    row, bar_height, top_margin, axis_height = 30, 20, 6, 44
    # About 7.5 units per character at this font size: room for the longest label, within bounds.
    label_width = min(max(int(max(len(_short(b.label)) for b in bars) * 7.5) + 12, 80), 220)
    value_width = 70
    plot_x, plot_width = label_width, width - label_width - value_width
    plot_height = row * len(bars)
    height = top_margin + plot_height + axis_height
    top, ticks = axis_scale(max(b.value for b in bars))
    parts = [
        svg_open(chart_id=chart_id, title=title, desc=desc, width=width, height=height, kind="hbar")
    ]
    for tick in ticks:
        x = plot_x + plot_width * tick / top
        parts.append(
            format_html(
                '<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{grid}" stroke-width="1"/>'
                '<text x="{x}" y="{ty}" text-anchor="middle" fill="{muted}">{label}</text>',
                x=_n(x),
                y1=top_margin,
                y2=top_margin + plot_height + 4,
                ty=top_margin + plot_height + 18,
                grid=GRID,
                muted=MUTED,
                label=format_value(tick),
            )
        )
    for index, bar in enumerate(bars):
        y = top_margin + index * row + (row - bar_height) / 2
        length = plot_width * bar.value / top
        parts.append(
            format_html(
                '<text x="{lx}" y="{ty}" text-anchor="end" fill="{ink}" font-weight="{weight}">'
                "{label}</text>"
                '<rect class="bar{extra}" x="{x}" y="{y}" width="{w}" height="{h}" '
                'fill="{fill}" data-value="{value}"/>'
                '<text x="{vx}" y="{ty}" fill="{ink}">{shown}</text>',
                lx=plot_x - 6,
                ty=_n(y + bar_height / 2 + 4),
                ink=INK,
                weight=700 if bar.highlighted else 400,
                label=_short(bar.label),
                extra=" highlighted" if bar.highlighted else "",
                x=plot_x,
                y=_n(y),
                w=_n(length),
                h=bar_height,
                fill=BAR_HIGHLIGHTED if bar.highlighted else BAR,
                value=bar.value,
                vx=_n(plot_x + length + 4),
                shown=format_value(bar.value),
            )
        )
    parts.append(
        format_html(
            '<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{ink}" stroke-width="1"/>'
            '<text x="{cx}" y="{ty}" text-anchor="middle" fill="{ink}">{axis}</text></svg>',
            x=plot_x,
            y1=top_margin,
            y2=top_margin + plot_height,
            ink=INK,
            cx=_n(plot_x + plot_width / 2),
            ty=height - 6,
            axis=value_label,
        )
    )
    return svg_join(parts)


def bar_chart_vertical(
    *,
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    value_label: str,
    category_label: str,
    format_value: Formatter = group_thousands,
    empty_text: str | None = None,
    width: int = 560,
    height: int = 280,
) -> SafeString:
    """Vertical bars along a category axis (weeks, in order), a value axis with round ticks on
    the left. Bar heights are proportional to the values; with many bars only some category
    labels are written, so they never overlap."""
    if not bars:
        return _empty(empty_text)
    left, right, top_margin, bottom = 64, 12, 26, 52
    plot_width, plot_height = width - left - right, height - top_margin - bottom
    base = top_margin + plot_height
    top, ticks = axis_scale(max(b.value for b in bars))
    slot = plot_width / len(bars)
    bar_width = max(slot * 0.8, 1)
    every = -(-len(bars) // 12)  # at most a dozen category labels
    parts = [
        svg_open(
            chart_id=chart_id, title=title, desc=desc, width=width, height=height, kind="vbar"
        ),
        format_html('<text x="4" y="14" fill="{ink}">{label}</text>', ink=INK, label=value_label),
    ]
    for tick in ticks:
        y = base - plot_height * tick / top
        parts.append(
            format_html(
                '<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{grid}" stroke-width="1"/>'
                '<text x="{tx}" y="{ty}" text-anchor="end" fill="{muted}">{label}</text>',
                x1=left - 4,
                x2=left + plot_width,
                y=_n(y),
                grid=GRID,
                tx=left - 8,
                ty=_n(y + 4),
                muted=MUTED,
                label=format_value(tick),
            )
        )
    for index, bar in enumerate(bars):
        bar_height = plot_height * bar.value / top
        x = left + index * slot + (slot - bar_width) / 2
        parts.append(
            format_html(
                '<rect class="bar{extra}" x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}" '
                'data-value="{value}"/>',
                extra=" highlighted" if bar.highlighted else "",
                x=_n(x),
                y=_n(base - bar_height),
                w=_n(bar_width),
                h=_n(bar_height),
                fill=BAR_HIGHLIGHTED if bar.highlighted else BAR,
                value=bar.value,
            )
        )
        if index % every == 0:
            parts.append(
                format_html(
                    '<text x="{x}" y="{y}" text-anchor="middle" fill="{ink}">{label}</text>',
                    x=_n(left + index * slot + slot / 2),
                    y=base + 16,
                    ink=INK,
                    label=_short(bar.label),
                )
            )
    parts.append(
        format_html(
            '<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="{ink}" '
            'stroke-width="1"/>'
            '<text x="{cx}" y="{ty}" text-anchor="middle" fill="{ink}">{axis}</text></svg>',
            left=left,
            right=left + plot_width,
            base=_n(base),
            ink=INK,
            cx=_n(left + plot_width / 2),
            ty=height - 8,
            axis=category_label,
        )
    )
    return svg_join(parts)


# --- The map of the departments, coloured by quantity ----------------------------------------

LEGEND_TOP = 230


def _round_up(number: int) -> int:
    """Up to two significant digits: 6 358 → 6 400, 19 073 → 20 000, 37 → 37."""
    magnitude = 1
    while number > magnitude * 100:
        magnitude *= 10
    return -(-number // magnitude) * magnitude


def map_classes(largest: int) -> list[tuple[int, int]]:
    """Up to four quantity ranges for the map's colours, (low, high) inclusive, as quarters of
    the largest figure rounded up, so the largest department always gets the darkest colour."""
    bounds: list[int] = []
    for quarter in range(1, 5):
        bound = _round_up(-(-largest * quarter // 4))
        if bound >= 1 and (not bounds or bound > bounds[-1]):
            bounds.append(bound)
    if not bounds:
        return []
    lows = [1] + [bound + 1 for bound in bounds[:-1]]
    return list(zip(lows, bounds, strict=True))


def map_colour(value: int, classes: list[tuple[int, int]]) -> str:
    """The palette's lightest colour for nothing validated; the darkest ones for the top ranges,
    however few ranges there are."""
    if value <= 0:
        return MAP_PALETTE[0]
    offset = len(MAP_PALETTE) - 1 - len(classes)
    for index, (_low, high) in enumerate(classes, start=1):
        if value <= high:
            return MAP_PALETTE[index + offset]
    return MAP_PALETTE[-1]


def department_map(
    *,
    chart_id: str,
    title: str,
    desc: str,
    values: Mapping[str, int],
    names: Mapping[str, str],
    highlighted: frozenset[str] | set[str] = frozenset(),
    format_value: Formatter = group_thousands,
    highlight_label: str | None = None,
) -> SafeString:
    """The four departments coloured by quantity, each labelled with its name and figure, and
    a legend of the colours (and of the highlighted departments, when there are any)."""
    classes = map_classes(max([0, *values.values()]))
    parts = [
        svg_open(
            chart_id=chart_id,
            title=title,
            desc=desc,
            width=MAP_WIDTH,
            height=MAP_HEIGHT,
            kind="map",
            font_size=12,
        )
    ]
    labels = []
    # Highlighted departments last, so their thick border is not covered by a neighbour.
    drawn = sorted(DEPARTMENT_SHAPES.items(), key=lambda item: item[0] in highlighted)
    for code, (points, (label_x, label_y)) in drawn:
        value = values.get(code, 0)
        marked = code in highlighted
        parts.append(
            format_html(
                '<polygon class="department{extra}" data-department="{code}" points="{points}" '
                'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}" '
                'stroke-linejoin="round"/>',
                extra=" highlighted" if marked else "",
                code=code,
                points=points,
                fill=map_colour(value, classes),
                stroke=INK if marked else "#ffffff",
                stroke_width=4 if marked else 2,
            )
        )
        # Labels come after every shape, so a thick border never covers a neighbour's text.
        labels.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="middle" fill="{ink}" stroke="#ffffff" '
                'stroke-width="3" stroke-linejoin="round">'
                '<tspan x="{x}" font-weight="700">{name}</tspan>'
                '<tspan x="{x}" dy="16">{figure}</tspan></text>',
                x=label_x,
                y=label_y,
                ink=INK,
                name=names.get(code, code),
                figure=format_value(value),
            )
        )
    parts.extend(labels)
    legend = [(MAP_PALETTE[0], _("Aucune production validée"), False)]
    for low, high in classes:
        shown = (
            format_value(low)
            if low == high
            else _("%(low)s à %(high)s") % {"low": format_value(low), "high": format_value(high)}
        )
        legend.append((map_colour(high, classes), shown, False))
    if highlighted:
        legend.append(("#ffffff", highlight_label or _("Départements mis en évidence"), True))
    for index, (fill, text, marked) in enumerate(legend):
        column, line = divmod(index, 3)
        x, y = 8 + column * 190, LEGEND_TOP + line * 22
        parts.append(
            format_html(
                '<rect x="{x}" y="{y}" width="16" height="14" fill="{fill}" stroke="{stroke}" '
                'stroke-width="{sw}"/><text x="{tx}" y="{ty}" fill="{ink}">{text}</text>',
                x=x,
                y=y,
                fill=fill,
                stroke=INK if marked else MUTED,
                sw=3 if marked else 1,
                tx=x + 22,
                ty=y + 12,
                ink=INK,
                text=text,
            )
        )
    parts.append(SVG_END)
    return svg_join(parts)
