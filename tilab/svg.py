"""Drawing in SVG, shared by the apps that draw: colours, safe markup, the schematic map.

The figures' charts (`figures.charts`), the directory's map of places and the network graph
draw with these pieces, so every picture of the platform has the same ink, font and outlines
of the departments. Pure functions: no JavaScript, no network, no map tiles; the same input
always gives the same bytes, and every piece of text goes through `format_html`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

INK = "#1b1f24"
MUTED = "#4a5560"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
# Light to dark: "nothing validated", then four classes of quantity.
MAP_PALETTE = ("#eef1f4", "#cfe3f1", "#8fbcdb", "#4a8fc0", "#1f5f8b")
SVG_END = mark_safe("</svg>")  # a literal of this module


def svg_number(number: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros: stable, compact output."""
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def svg_join(parts) -> SafeString:
    # Parts come from format_html; anything else would be escaped here, never trusted.
    return format_html_join("", "{}", ((part,) for part in parts))


def svg_open(
    *,
    chart_id: str,
    title: str,
    desc: str,
    width: int,
    height: int,
    kind: str,
    font_size=13,
    interactive: bool = False,
):
    """The opening tag of a picture: an image titled and described for assistive technologies.

    An interactive picture (links inside) is a group rather than an image: the children of an
    image are hidden from assistive technologies, so its links could not be reached by name."""
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="{role}" '
        'aria-labelledby="{id}-title {id}-desc"{focusable} font-family="{font}" '
        'font-size="{font_size}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        kind=kind,
        role="group" if interactive else "img",
        focusable="" if interactive else mark_safe(' focusable="false"'),
        width=width,
        height=height,
        id=chart_id,
        font=FONT,
        font_size=font_size,
        title=title,
        desc=desc,
    )


# --- The schematic map of the departments ----------------------------------------------------

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
MAP_WIDTH, MAP_HEIGHT = 400, 300


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
    """One place on the map: where, how many entries it stands for, its tooltip, and the page
    it leads to (a dot with a link is reachable by keyboard and named by its label)."""

    x: float
    y: float
    count: int
    label: str
    exact: bool = True
    url: str = ""


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
        svg_open(
            chart_id=chart_id,
            title=title,
            desc=desc,
            width=MAP_WIDTH,
            height=DOT_MAP_HEIGHT,
            kind="map chart-dots",
            font_size=12,
            interactive=any(dot.url for dot in dots),
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
        circle = format_html(
            '<circle class="dot{extra}" cx="{x}" cy="{y}" r="{r}" fill="{fill}" '
            'fill-opacity="0.85" stroke="{stroke}" stroke-width="1.5" data-count="{count}">'
            "<title>{label}</title></circle>",
            extra="" if dot.exact else " approximate",
            x=svg_number(dot.x),
            y=svg_number(dot.y),
            r=svg_number(dot_radius(dot.count)),
            fill=DOT_FILL if dot.exact else DOT_APPROXIMATE,
            stroke="#ffffff" if dot.exact else DOT_FILL,
            count=dot.count,
            label=dot.label,
        )
        if dot.url:
            # A link named like its tooltip: a keyboard reaches it, a screen reader reads it,
            # a phone's tap follows it (a tooltip alone needs a mouse).
            circle = format_html(
                '<a class="place-link" href="{url}" aria-label="{label}">{circle}</a>',
                url=dot.url,
                label=dot.label,
                circle=circle,
            )
        parts.append(circle)
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
    return svg_join(parts)
