"""The whole network of cooperation links for facilitators: a server-rendered graph, the same
links as a table, and the territories with few links (whom to call).

The graph stays readable at any size: up to `MAX_DETAILED_NODES` it draws every organisation
and maker; beyond, the whole network is drawn as one cluster per department (its counts, and
the links between departments, also given as a table), and a department chosen in the filter
is drawn in detail (its organisations alone if it is still too big). Names are wrapped at
word boundaries, never cut inside a word; a shortened one keeps its full name in a title and
in the list of names below the graph."""

import math
from collections import defaultdict
from dataclasses import dataclass

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from directory.communes import commune_display_name, commune_normalise
from tilab.models import Department
from tilab.permissions import page_permission
from tilab.svg import FONT, INK, MUTED, svg_number
from tilab.templatetags.tilab_format import thousands

from . import links as network

LINKS_PER_PAGE = 50
# Beyond this, only the strongest links are drawn: the table holds them all.
MAX_DRAWN_EDGES = 1500
# Node names are written on the graph only when there are few enough to read.
MAX_LABELLED_NODES = 40
# Beyond this many nodes the graph is drawn per department (or a department's organisations).
MAX_DETAILED_NODES = 150
# A written name: at most two lines of about this many characters.
LABEL_WIDTH, LABEL_LINES = 16, 2
LEAST_LINKED_COMMUNES = 20
# West to east around the circle: Finistère on the left, Ille-et-Vilaine on the right.
DEPARTMENT_ORDER = ("29", "22", "35", "56")
DEPARTMENT_COLOURS = {"29": "#00507a", "22": "#8a4b00", "35": "#2e6b30", "56": "#6a1b9a"}
OTHER_COLOUR = "#4a5560"
SIZE, RADIUS, RADIUS_LABELLED = 640, 240, 170


class GraphFilterForm(forms.Form):
    department = forms.ChoiceField(label=gettext_lazy("Département"), required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Type de lien"),
        required=False,
        choices=[("", gettext_lazy("Tous"))] + list(network.KIND_LABELS.items()),
    )

    def __init__(self, *args, departments: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("Tous"))] + [
            (code, f"{name} ({code})") for code, name in departments.items()
        ]


def label_lines(name: str, *, width: int = LABEL_WIDTH, lines: int = LABEL_LINES):
    """A name written on the graph: (lines, shortened). Lines break between words, never
    inside one (a word longer than `width` stands alone on its line); a name that needs more
    lines ends with "…" after a whole word, and is shortened."""
    words, written = name.split(), []
    for word in words:
        if written and len(written[-1]) + 1 + len(word) <= width:
            written[-1] += " " + word
        else:
            written.append(word)
    if len(written) <= lines:
        return written, False
    kept = written[:lines]
    kept[-1] += " …"
    return kept, True


@dataclass(frozen=True)
class Placed:
    node: network.Node
    x: float
    y: float
    angle: float


def graph_layout(nodes: dict, *, radius: float = RADIUS) -> dict:
    """Nodes on a circle, grouped by department (west to east: 29, 22, 35, 56, then any
    other), organisations first then makers, each by name: the same network always gives the
    same picture. Each department's arc is proportional to its number of nodes."""
    by_department = defaultdict(list)
    for node in nodes.values():
        by_department[node.department].append(node)
    order = [code for code in DEPARTMENT_ORDER if code in by_department]
    order += sorted(code for code in by_department if code not in DEPARTMENT_ORDER)
    total = len(nodes)
    if not total:
        return {}
    gap = 0.12 if len(order) > 1 else 0.0  # radians between departments
    usable = 2 * math.pi - gap * len(order)
    placed, angle = {}, math.pi  # start on the left (west)
    for code in order:
        group = sorted(
            by_department[code],
            key=lambda n: (not n.is_organisation, n.name.lower(), n.key),
        )
        arc = usable * len(group) / total
        step = arc / len(group)
        for index, node in enumerate(group):
            theta = angle + step * (index + 0.5)
            placed[node.key] = Placed(
                node=node,
                x=SIZE / 2 + radius * math.cos(theta),
                # SVG's y axis points down: clockwise from the left, the north (22) on top.
                y=SIZE / 2 + radius * math.sin(theta),
                angle=theta,
            )
        angle += arc + gap
    return placed


def _department_arcs(placed: dict) -> dict[str, float]:
    """The middle angle of each department's arc, to write its name there."""
    angles = defaultdict(list)
    for item in placed.values():
        angles[item.node.department].append(item.angle)
    return {code: sum(values) / len(values) for code, values in angles.items()}


def _join(parts) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def graph_svg(*, nodes: dict, links: list, names: dict[str, str]) -> SafeString:
    """The graph as SVG: links as curves bending towards the centre, organisations as squares,
    makers as circles, coloured by department; a title and a summary for assistive
    technologies, the table below being the accessible truth."""
    labelled = len(nodes) <= MAX_LABELLED_NODES
    radius = RADIUS_LABELLED if labelled else RADIUS
    placed = graph_layout(nodes, radius=radius)
    drawable = [
        link
        for link in links
        if link.a in placed
        and link.b in placed
        # Fellow members are already joined through their organisation's square.
        and set(link.kinds) != {network.CO_MEMBER}
    ]
    drawable.sort(key=lambda link: (-link.weight, link.a, link.b))
    drawn = drawable[:MAX_DRAWN_EDGES]
    desc = _(
        "%(nodes)s organisations et makers disposés en cercle, regroupés par département "
        "d'ouest en est ; %(drawn)s liens tracés."
    ) % {"nodes": thousands(len(placed)), "drawn": thousands(len(drawn))}
    if len(drawable) > len(drawn):
        desc += " " + _("Seuls les liens les plus forts sont tracés.")
    desc += " " + _(
        "Les membres d'une même organisation sont reliés par elle. Le tableau des liens, "
        "après le graphique, donne chaque lien."
    )
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-graph" '
            'viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
            'aria-labelledby="graph-title graph-desc" focusable="false" font-family="{font}" '
            'font-size="11"><title id="graph-title">{title}</title>'
            '<desc id="graph-desc">{desc}</desc><g class="edges" fill="none" stroke="{muted}" '
            'stroke-opacity="0.45">',
            size=SIZE,
            font=FONT,
            title=_("Graphe des liens de coopération"),
            desc=desc,
            muted=MUTED,
        )
    ]
    centre = SIZE / 2
    for link in drawn:
        a, b = placed[link.a], placed[link.b]
        # The control point between the chord's middle and the centre: short links stay near
        # the rim, long ones cross the middle.
        mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
        cx, cy = (mx + centre) / 2, (my + centre) / 2
        parts.append(
            format_html(
                '<path class="edge" d="M{ax} {ay} Q{cx} {cy} {bx} {by}" stroke-width="{w}" '
                'data-weight="{weight}"/>',
                ax=svg_number(a.x),
                ay=svg_number(a.y),
                cx=svg_number(cx),
                cy=svg_number(cy),
                bx=svg_number(b.x),
                by=svg_number(b.y),
                w=svg_number(min(4.0, 0.75 + 0.75 * (link.weight - 1))),
                weight=link.weight,
            )
        )
    parts.append(mark_safe('</g><g class="nodes" stroke="#ffffff" stroke-width="1">'))
    for item in sorted(placed.values(), key=lambda p: p.node.key):
        colour = DEPARTMENT_COLOURS.get(item.node.department, OTHER_COLOUR)
        if item.node.is_organisation:
            shape = format_html(
                '<rect class="node organisation" x="{x}" y="{y}" width="10" height="10" '
                'fill="{fill}"><title>{name}</title></rect>',
                x=svg_number(item.x - 5),
                y=svg_number(item.y - 5),
                fill=colour,
                name=item.node.name,
            )
        else:
            shape = format_html(
                '<circle class="node maker" cx="{x}" cy="{y}" r="4.5" fill="{fill}">'
                "<title>{name}</title></circle>",
                x=svg_number(item.x),
                y=svg_number(item.y),
                fill=colour,
                name=item.node.name,
            )
        parts.append(shape)
        if labelled:
            outward = 12
            lx = item.x + outward * math.cos(item.angle)
            ly = item.y + outward * math.sin(item.angle)
            lines, shortened = label_lines(item.node.name)
            # Above the node's level on the top half, below on the bottom half.
            first = ly + 4 - (12 * (len(lines) - 1) if math.sin(item.angle) < -0.2 else 0)
            parts.append(
                format_html(
                    '<text class="label" x="{x}" y="{y}" text-anchor="{anchor}" fill="{ink}" '
                    'stroke="none">{title}{lines}</text>',
                    x=svg_number(lx),
                    y=svg_number(first),
                    anchor="end"
                    if math.cos(item.angle) < -0.2
                    else ("start" if math.cos(item.angle) > 0.2 else "middle"),
                    ink=INK,
                    title=format_html("<title>{}</title>", item.node.name) if shortened else "",
                    lines=_join(
                        format_html(
                            '<tspan x="{x}" dy="{dy}">{line}</tspan>',
                            x=svg_number(lx),
                            dy=0 if index == 0 else 12,
                            line=line,
                        )
                        for index, line in enumerate(lines)
                    ),
                )
            )
    parts.append(mark_safe("</g>"))
    for code, angle in sorted(_department_arcs(placed).items()):
        # Inside the circle when node names are written outside it.
        distance = radius - 45 if labelled else radius + 40
        parts.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="middle" font-size="14" font-weight="700" '
                'fill="{fill}" stroke="#ffffff" stroke-width="3">'
                "{name}</text>",
                x=svg_number(centre + distance * math.cos(angle)),
                y=svg_number(centre + distance * math.sin(angle) + 5),
                fill=DEPARTMENT_COLOURS.get(code, OTHER_COLOUR),
                name=names.get(code, code),
            )
        )
    parts.append(mark_safe("</svg>"))
    return _join(parts)


# Where each department's cluster sits: roughly where it lies in Brittany.
CLUSTER_PLACES = {"29": (150, 330), "22": (330, 150), "35": (500, 330), "56": (330, 500)}


@dataclass
class Cluster:
    department: str
    name: str
    organisations: int = 0
    makers: int = 0
    inner_links: int = 0


def department_clusters(nodes: dict, links: list, names: dict[str, str]):
    """The network per department: (clusters by code, links between two departments by pair
    of codes, in code order)."""
    clusters: dict[str, Cluster] = {}
    for node in nodes.values():
        cluster = clusters.setdefault(
            node.department,
            Cluster(department=node.department, name=names.get(node.department, node.department)),
        )
        if node.is_organisation:
            cluster.organisations += 1
        else:
            cluster.makers += 1
    between: dict[tuple[str, str], int] = defaultdict(int)
    for link in links:
        a, b = nodes.get(link.a), nodes.get(link.b)
        if a is None or b is None:
            continue
        if a.department == b.department:
            clusters[a.department].inner_links += 1
        else:
            between[tuple(sorted((a.department, b.department)))] += 1
    return clusters, dict(sorted(between.items()))


def clusters_svg(clusters: dict[str, Cluster], between: dict) -> SafeString:
    """The network as one disc per department (its area grows with its organisations and
    makers) and one band per pair of linked departments (as thick as they have links), every
    figure written out: readable with 600 makers as with 6."""
    largest = max((c.organisations + c.makers for c in clusters.values()), default=1) or 1
    others = [code for code in sorted(clusters) if code not in CLUSTER_PLACES]
    places = dict(CLUSTER_PLACES)
    for index, code in enumerate(others):
        places[code] = (SIZE / 2 + 40 * index, SIZE / 2)
    radius = {
        code: 24 + 56 * math.sqrt((c.organisations + c.makers) / largest)
        for code, c in clusters.items()
    }
    heaviest = max(between.values(), default=1)
    desc = _(
        "Le réseau par département : un disque par département, d'autant plus grand qu'il "
        "compte d'organisations et de makers, et un trait entre deux départements, d'autant "
        "plus épais qu'ils ont de liens. Le tableau des liens entre départements donne les "
        "mêmes chiffres."
    )
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-graph chart-clusters" '
            'viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
            'aria-labelledby="graph-title graph-desc" focusable="false" font-family="{font}" '
            'font-size="12"><title id="graph-title">{title}</title>'
            '<desc id="graph-desc">{desc}</desc><g class="edges" stroke="{muted}" '
            'stroke-opacity="0.6">',
            size=SIZE,
            font=FONT,
            title=_("Graphe des liens de coopération, par département"),
            desc=desc,
            muted=MUTED,
        )
    ]
    for (one, other), count in between.items():
        (ax, ay), (bx, by) = places[one], places[other]
        parts.append(
            format_html(
                '<line class="edge" x1="{ax}" y1="{ay}" x2="{bx}" y2="{by}" stroke-width="{w}" '
                'data-weight="{count}"/><text x="{mx}" y="{my}" text-anchor="middle" '
                'fill="{ink}" stroke="#ffffff" stroke-width="3">{label}'
                "</text>",
                ax=svg_number(ax),
                ay=svg_number(ay),
                bx=svg_number(bx),
                by=svg_number(by),
                w=svg_number(1.5 + 8.5 * count / heaviest),
                count=count,
                # A third of the way, not half: the bands across the middle cross there.
                mx=svg_number(ax + (bx - ax) / 3),
                my=svg_number(ay + (by - ay) / 3 + 4),
                ink=INK,
                label=ngettext("%(n)s lien", "%(n)s liens", count) % {"n": thousands(count)},
            )
        )
    parts.append(mark_safe('</g><g class="clusters">'))
    for code, cluster in sorted(clusters.items()):
        x, y = places[code]
        lines = [
            *label_lines(f"{cluster.name} ({code})", width=22)[0],
            ngettext("%(n)s organisation", "%(n)s organisations", cluster.organisations)
            % {"n": thousands(cluster.organisations)},
            ngettext("%(n)s maker", "%(n)s makers", cluster.makers)
            % {"n": thousands(cluster.makers)},
            ngettext("%(n)s lien interne", "%(n)s liens internes", cluster.inner_links)
            % {"n": thousands(cluster.inner_links)},
        ]
        # Below the disc, or above it for the northern one, clear of the bands.
        top = y + radius[code] + 16
        if y < SIZE / 2 - 1:
            top = y - radius[code] - 10 - 14 * (len(lines) - 1)
        parts.append(
            format_html(
                '<circle class="cluster" cx="{x}" cy="{y}" r="{r}" fill="{fill}" '
                'fill-opacity="0.85"/><text class="label" x="{x}" y="{top}" '
                'text-anchor="middle" fill="{ink}" stroke="#ffffff" stroke-width="3">'
                "{lines}</text>",
                x=svg_number(x),
                y=svg_number(y),
                r=svg_number(radius[code]),
                fill=DEPARTMENT_COLOURS.get(code, OTHER_COLOUR),
                top=svg_number(top),
                ink=INK,
                lines=_join(
                    format_html(
                        '<tspan x="{x}" dy="{dy}"{bold}>{line}</tspan>',
                        x=svg_number(x),
                        dy=0 if index == 0 else 14,
                        bold=mark_safe(' font-weight="700"') if index == 0 else "",
                        line=line,
                    )
                    for index, line in enumerate(lines)
                ),
            )
        )
    parts.append(mark_safe("</g></svg>"))
    return _join(parts)


@dataclass
class Territory:
    """A department or a commune, with how connected its organisations and makers are."""

    name: str
    department: str
    nodes: int = 0
    links: int = 0
    isolated: int = 0

    @property
    def links_per_node(self) -> float:
        return self.links / self.nodes if self.nodes else 0.0


def territories(nodes: dict, links: list, names: dict[str, str]):
    """Per department and per commune: how many nodes, how many links touch them, how many
    nodes have none; least linked first (those are the ones to call)."""
    degree = defaultdict(int)
    departments = {code: Territory(name=name, department=code) for code, name in names.items()}
    communes: dict[tuple[str, str], Territory] = {}
    touching_department = defaultdict(set)
    touching_commune = defaultdict(set)

    def commune_key(node):
        return (node.department, commune_normalise(node.commune))

    for index, link in enumerate(links):
        for key in (link.a, link.b):
            node = nodes.get(key)
            if node is None:
                continue
            degree[key] += 1
            touching_department[node.department].add(index)
            touching_commune[commune_key(node)].add(index)
    for node in nodes.values():
        department = departments.setdefault(
            node.department, Territory(name=node.department, department=node.department)
        )
        key = commune_key(node)
        commune = communes.get(key)
        if commune is None:
            commune = communes[key] = Territory(
                name=commune_display_name(node.commune) or _("Commune non précisée"),
                department=node.department,
            )
        for territory in (department, commune):
            territory.nodes += 1
            territory.isolated += 0 if degree[node.key] else 1
    for code, territory in departments.items():
        territory.links = len(touching_department[code])
    for key, territory in communes.items():
        territory.links = len(touching_commune[key])

    def ranked(items):
        return sorted(items, key=lambda t: (t.links_per_node, -t.nodes, t.name.lower()))

    isolated = sorted(
        (node for node in nodes.values() if not degree[node.key]),
        key=lambda n: (n.department, not n.is_organisation, n.name.lower()),
    )
    return (
        ranked(t for t in departments.values() if t.nodes),
        ranked(communes.values()),
        isolated,
    )


def _drawing(nodes: dict, links: list, names: dict[str, str], *, department: str) -> dict:
    """What the graph draws: every node when they are few enough; else the departments as
    clusters, or the chosen department in detail (its organisations alone if it is too big)."""
    shown = nodes
    if department:
        shown = {key: node for key, node in nodes.items() if node.department == department}
    if len(shown) <= MAX_DETAILED_NODES:
        return {
            "graph": graph_svg(nodes=shown, links=links, names=names),
            "graph_mode": "detailed",
            "graph_nodes": sorted(shown.values(), key=lambda n: (n.name.lower(), n.key)),
        }
    if department:
        organisations = {key: node for key, node in shown.items() if node.is_organisation}
        return {
            "graph": graph_svg(nodes=organisations, links=links, names=names),
            "graph_mode": "organisations",
            "graph_nodes": sorted(organisations.values(), key=lambda n: (n.name.lower(), n.key)),
            "graph_makers": len(shown) - len(organisations),
        }
    clusters, between = department_clusters(nodes, links, names)
    return {
        "graph": clusters_svg(clusters, between),
        "graph_mode": "clusters",
        "clusters": [clusters[code] for code in sorted(clusters)],
        "between": [
            {"one": names.get(a, a), "other": names.get(b, b), "links": count}
            for (a, b), count in between.items()
        ],
    }


@page_permission("network.view_graph")
@require_safe
def network_graph(request):
    """The whole network, every node named (never an e-mail): the graph, the links table
    (filterable by kind, paginated) and the territories with the fewest links."""
    names = dict(Department.objects.order_by("code").values_list("code", "name"))
    nodes = network.all_nodes()
    links = list(network.network_links())
    form = GraphFilterForm(request.GET or None, departments=names)
    valid = form.is_valid()
    kind = form.cleaned_data.get("kind", "") if valid else ""
    department = form.cleaned_data.get("department", "") if valid else ""
    listed = network.links_listed(nodes, links, kind=kind, department=department)
    drawing = _drawing(nodes, links, names, department=department)
    page = Paginator(listed, LINKS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "a": nodes[link.a],
            "b": nodes[link.b],
            "kinds": [
                (network.KIND_LABELS[k], link.kinds[k]) for k in network.KINDS if link.kinds.get(k)
            ],
            "weight": link.weight,
        }
        for link in page.object_list
    ]
    per_department, per_commune, isolated = territories(nodes, links, names)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "network/graph.html",
        {
            "filter_form": form,
            "kind": kind,
            "department": department,
            "department_name": names.get(department, ""),
            **drawing,
            "node_count": len(nodes),
            "link_count": len(links),
            "organisation_count": sum(1 for n in nodes.values() if n.is_organisation),
            "page": page,
            "rows": rows,
            "listed_count": len(listed),
            "page_query": query.urlencode(),
            "per_department": per_department,
            "per_commune": per_commune[:LEAST_LINKED_COMMUNES],
            "commune_count": len(per_commune),
            "isolated": isolated,
            "department_names": names,
            "links_summary": ngettext(
                "%(n)s lien entre %(nodes)s organisations et makers.",
                "%(n)s liens entre %(nodes)s organisations et makers.",
                len(links),
            )
            % {"n": thousands(len(links)), "nodes": thousands(len(nodes))},
        },
    )
