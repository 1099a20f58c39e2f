"""Server-rendered SVG charts: bar charts and a schematic map of the departments of Brittany.

Pure functions from figures to SVG markup: no JavaScript, no network, no map tiles, and the
same input always gives the same bytes. Every piece of text goes through `format_html`, so a
label typed by staff ("<b>FabLab</b>") is shown, never interpreted. A chart is a picture with
a title and a summary for assistive technologies; the data table the page shows beside it is
the accessible truth.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tilab.money import group_thousands

INK = "#1b1f24"
MUTED = "#4a5560"
GRID = "#c9d1d9"
BAR = "#00507a"
BAR_HIGHLIGHTED = "#b35c00"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
# Light to dark: "nothing validated", then four classes of quantity.
MAP_PALETTE = ("#eef1f4", "#cfe3f1", "#8fbcdb", "#4a8fc0", "#1f5f8b")
MAX_LABEL_CHARS = 28
SVG_END = mark_safe("</svg>")  # a literal of this module

Formatter = Callable[[int], str]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    highlighted: bool = False


def _n(number: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros: stable, compact output."""
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _join(parts) -> SafeString:
    # Parts come from format_html; anything else would be escaped here, never trusted.
    return format_html_join("", "{}", ((part,) for part in parts))


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


def _open_svg(
    *, chart_id: str, title: str, desc: str, width: int, height: int, kind: str, font_size=13
):
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" focusable="false" font-family="{font}" '
        'font-size="{font_size}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        kind=kind,
        width=width,
        height=height,
        id=chart_id,
        font=FONT,
        font_size=font_size,
        title=title,
        desc=desc,
    )


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
        _open_svg(
            chart_id=chart_id, title=title, desc=desc, width=width, height=height, kind="hbar"
        )
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
    return _join(parts)


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
        _open_svg(
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
    return _join(parts)


# --- The schematic map -----------------------------------------------------------------------

# Hand-drawn outlines of the four departments, west to east, in a 380 × 220 box with the legend
# below: simple enough to read at a glance, close enough to be recognised. Neighbours share
# their border points. Each entry: the polygon's points, then where its label goes.
DEPARTMENT_SHAPES: dict[str, tuple[str, tuple[int, int]]] = {
    "29": (
        "12,52 40,36 70,26 115,30 125,75 120,130 110,172 78,166 46,152 56,128 22,118 34,96 8,78",
        (66, 92),
    ),
    "22": ("115,30 150,16 184,34 222,38 265,48 262,90 255,125 200,120 160,110 125,75", (193, 68)),
    "56": (
        "125,75 160,110 200,120 255,125 284,164 290,200 242,210 200,196 160,190 110,172 120,130",
        (198, 156),
    ),
    "35": (
        "265,48 300,40 340,48 366,70 372,120 362,170 332,200 290,200 284,164 255,125 262,90",
        (318, 112),
    ),
}
MAP_WIDTH, MAP_HEIGHT, LEGEND_TOP = 400, 300, 230


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
        _open_svg(
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
                'stroke-width="3" paint-order="stroke" stroke-linejoin="round">'
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
    return _join(parts)


# --- Dots on the map: the directory's map and the network's graph ------------------------------

# A linear fit of longitude and latitude onto the schematic outlines above: Brest, Quimper,
# Saint-Brieuc, Lorient, Vannes and Rennes fall where a Breton expects them.
_WEST, _NORTH = -4.79, 48.9
_X_PER_DEGREE, _Y_PER_DEGREE = 96.0, 115.0
DOT_FILL = "#00507a"
DOT_APPROXIMATE = "#ffffff"
NEUTRAL_FILL = MAP_PALETTE[0]
DOT_MAP_HEIGHT = 330
DOT_LEGEND_TOP = 232


def _polygon(points: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in pair.split(",")) for pair in points.split()]


def point_in_polygon(x: float, y: float, polygon: Sequence[tuple[float, float]]) -> bool:
    """Ray casting: whether (x, y) lies inside the polygon."""
    inside = False
    previous = polygon[-1]
    for current in polygon:
        (x1, y1), (x2, y2) = previous, current
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
        previous = current
    return inside


def map_position(lat: float, lon: float, department: str) -> tuple[float, float]:
    """Where a place goes on the schematic map. The outlines are hand-drawn, so a place near a
    coast or a border may fall just outside its department: it is then moved towards the
    department's label until it is well inside, so a dot is never drawn in the wrong
    department or in the sea."""
    x = 8 + (lon - _WEST) * _X_PER_DEGREE
    y = 16 + (_NORTH - lat) * _Y_PER_DEGREE
    shape = DEPARTMENT_SHAPES.get(department)
    if shape is None:
        return round(x, 1), round(y, 1)
    polygon = _polygon(shape[0])
    centre_x, centre_y = shape[1]
    # Ten steps of 10 %: the label point itself is inside every outline.
    for step in range(11):
        t = step / 10
        px, py = x + (centre_x - x) * t, y + (centre_y - y) * t
        # "Well inside": the four points 4 units away are inside too.
        if all(
            point_in_polygon(px + dx, py + dy, polygon)
            for dx, dy in ((0, 0), (4, 0), (-4, 0), (0, 4), (0, -4))
        ):
            return round(px, 1), round(py, 1)
    return float(centre_x), float(centre_y)  # pragma: no cover - the label point is inside


@dataclass(frozen=True)
class MapDot:
    """One place on the map: where, how many entries it stands for, and its tooltip."""

    x: float
    y: float
    count: int
    label: str
    exact: bool = True


def dot_radius(count: int) -> float:
    """The area grows with the count, and stays readable: 4 for one, 12 at most."""
    return round(min(12.0, 4 + 2 * (count - 1) ** 0.5), 1)


def dot_map(
    *,
    chart_id: str,
    title: str,
    desc: str,
    dots: Sequence[MapDot],
    names: Mapping[str, str],
    summaries: Mapping[str, str],
    highlighted: frozenset[str] | set[str] = frozenset(),
) -> SafeString:
    """The four departments in a neutral colour, a dot per place sized by its count (a hollow
    dot for a place known only by its department), and below the map one line per department
    with its counts (`summaries`) and a legend of the dots."""
    parts = [
        _open_svg(
            chart_id=chart_id,
            title=title,
            desc=desc,
            width=MAP_WIDTH,
            height=DOT_MAP_HEIGHT,
            kind="map chart-dots",
            font_size=12,
        )
    ]
    drawn = sorted(DEPARTMENT_SHAPES.items(), key=lambda item: item[0] in highlighted)
    for code, (points, _label) in drawn:
        marked = code in highlighted
        parts.append(
            format_html(
                '<polygon class="department{extra}" data-department="{code}" points="{points}" '
                'fill="{fill}" stroke="{stroke}" stroke-width="{width}" stroke-linejoin="round"/>',
                extra=" highlighted" if marked else "",
                code=code,
                points=points,
                fill=MAP_PALETTE[1] if marked else NEUTRAL_FILL,
                stroke=INK if marked else MUTED,
                width=3 if marked else 1,
            )
        )
    for code, (_points, (x, y)) in DEPARTMENT_SHAPES.items():
        parts.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="middle" fill="{muted}" font-size="11" '
                'font-style="italic">{name}</text>',
                x=x,
                y=y - 18,
                muted=MUTED,
                name=names.get(code, code),
            )
        )
    # Big dots first, so a small one next to a big one stays visible on top.
    for dot in sorted(dots, key=lambda d: (-d.count, d.x, d.y)):
        parts.append(
            format_html(
                '<circle class="dot{extra}" cx="{x}" cy="{y}" r="{r}" fill="{fill}" '
                'fill-opacity="0.85" stroke="{stroke}" stroke-width="1.5" data-count="{count}">'
                "<title>{label}</title></circle>",
                extra="" if dot.exact else " approximate",
                x=_n(dot.x),
                y=_n(dot.y),
                r=_n(dot_radius(dot.count)),
                fill=DOT_FILL if dot.exact else DOT_APPROXIMATE,
                stroke="#ffffff" if dot.exact else DOT_FILL,
                count=dot.count,
                label=dot.label,
            )
        )
    for index, code in enumerate(DEPARTMENT_SHAPES):
        parts.append(
            format_html(
                '<text class="department-summary" data-department="{code}" x="8" y="{y}" '
                'fill="{ink}"><tspan font-weight="700">{name}</tspan> {summary}</text>',
                code=code,
                y=DOT_LEGEND_TOP + index * 18,
                ink=INK,
                name=names.get(code, code),
                summary=summaries.get(code, ""),
            )
        )
    legend_y = DOT_LEGEND_TOP + len(DEPARTMENT_SHAPES) * 18 + 8
    parts.append(
        format_html(
            '<circle cx="14" cy="{cy}" r="4" fill="{fill}" stroke="#ffffff"/>'
            '<circle cx="34" cy="{cy}" r="8" fill="{fill}" stroke="#ffffff"/>'
            '<text x="48" y="{ty}" fill="{ink}">{sized}</text>'
            '<circle cx="240" cy="{cy}" r="5" fill="{hollow}" stroke="{fill}" '
            'stroke-width="1.5"/><text x="252" y="{ty}" fill="{ink}">{approximate}</text>',
            cy=legend_y,
            ty=legend_y + 4,
            fill=DOT_FILL,
            hollow=DOT_APPROXIMATE,
            ink=INK,
            sized=_("Taille selon le nombre"),
            approximate=_("Commune non située"),
        )
    )
    parts.append(SVG_END)
    return _join(parts)
