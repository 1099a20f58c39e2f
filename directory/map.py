"""The directory's map: public organisations and opted-in makers as dots at commune level, with
counts per department and a list of the same entries for keyboards and screen readers."""

from dataclasses import dataclass, field

from django import forms
from django.db.models.functions import Lower
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from fablabs.models import Organisation
from makers.models import Maker
from tilab import svg
from tilab.models import Department
from tilab.permissions import PUBLIC, page_permission
from tilab.templatetags.tilab_format import thousands

from .communes import commune_display_name, commune_locate, commune_normalise

MAKERS = "maker"


class MapFilterForm(forms.Form):
    department = forms.ChoiceField(label=gettext_lazy("Département"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), required=False)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("Tous les départements"))] + [
            (d.code, f"{d.name} ({d.code})") for d in departments
        ]
        self.fields["kind"].choices = [
            ("", _("Organisations et makers")),
            *Organisation.Kind.choices,
            (MAKERS, _("Makers")),
        ]


@dataclass
class Entry:
    """One name on the map's list: an organisation or an opted-in maker."""

    name: str
    url: str
    is_maker: bool
    kind_label: str = ""


@dataclass
class Commune:
    name: str
    place: object
    anchor: str = ""
    entries: list[Entry] = field(default_factory=list)

    @property
    def organisation_count(self):
        return sum(1 for e in self.entries if not e.is_maker)

    @property
    def maker_count(self):
        return sum(1 for e in self.entries if e.is_maker)


@dataclass
class DepartmentGroup:
    code: str
    name: str
    communes: dict[str, Commune] = field(default_factory=dict)
    per_kind: dict[str, int] = field(default_factory=dict)
    maker_count: int = 0

    @property
    def organisation_count(self):
        return sum(self.per_kind.values())

    @property
    def communes_sorted(self):
        # "Commune non précisée" last, the others alphabetically.
        return sorted(self.communes.values(), key=lambda c: (c.name == "", c.name.lower()))


def _commune_of(group: DepartmentGroup, raw: str) -> Commune:
    key = commune_normalise(raw)
    commune = group.communes.get(key)
    if commune is None:
        commune = Commune(
            name=commune_display_name(raw),
            place=commune_locate(raw, group.code),
            # The list's place of this commune, where the map's dot leads.
            anchor=f"map-commune-{group.code}-{slugify(key) or '-'}",
        )
        group.communes[key] = commune
    return commune


def directory_map_data(
    *, department: str = "", kind: str = "", departments=None
) -> list[DepartmentGroup]:
    """Every public entry grouped by department and commune, in three queries whatever the
    size of the network: departments, organisations, makers. Only public organisations that
    are not merged duplicates, only makers who opted in, and of them only what the public
    directory shows (name, commune)."""
    if departments is None:
        departments = Department.objects.order_by("code")
    groups = {d.code: DepartmentGroup(code=d.code, name=d.name) for d in departments}
    kind_labels = dict(Organisation.Kind.choices)
    organisations = Organisation.objects.filter(is_public=True, merged_into__isnull=True)
    makers = Maker.objects.filter(is_public=True)
    if department:
        organisations = organisations.filter(department_id=department)
        makers = makers.filter(department_id=department)
    if kind == MAKERS:
        organisations = organisations.none()
    elif kind:
        organisations = organisations.filter(kind=kind)
        makers = makers.none()
    for row in organisations.order_by(Lower("name"), "pk").values(
        "name", "slug", "kind", "department_id", "commune"
    ):
        group = groups.get(row["department_id"])
        if group is None:  # pragma: no cover - a department is never deleted
            continue
        group.per_kind[row["kind"]] = group.per_kind.get(row["kind"], 0) + 1
        _commune_of(group, row["commune"]).entries.append(
            Entry(
                name=row["name"],
                url=reverse("directory:organisation", args=[row["slug"]]),
                is_maker=False,
                kind_label=str(kind_labels.get(row["kind"], "")),
            )
        )
    for row in makers.order_by(Lower("display_name"), "pk").values(
        "pk", "display_name", "department_id", "commune"
    ):
        group = groups.get(row["department_id"])
        if group is None:  # pragma: no cover
            continue
        group.maker_count += 1
        _commune_of(group, row["commune"]).entries.append(
            Entry(
                name=row["display_name"],
                url=reverse("directory:maker", args=[row["pk"]]),
                is_maker=True,
                kind_label=_("Maker"),
            )
        )
    return list(groups.values())


def _count_text(organisations: int, makers: int) -> str:
    """ "3 organisations, 1 maker"; a count of zero is left out rather than written "0 maker"."""
    texts = {
        "organisations": ngettext("%(n)s organisation", "%(n)s organisations", organisations)
        % {"n": thousands(organisations)},
        "makers": ngettext("%(n)s maker", "%(n)s makers", makers) % {"n": thousands(makers)},
    }
    if organisations and makers:
        return _("%(organisations)s, %(makers)s") % texts
    if organisations:
        return texts["organisations"]
    if makers:
        return texts["makers"]
    return _("aucune entrée")


def _dot_url(communes: list[Commune], entries: list[Entry]) -> str:
    """Where a dot leads: a lone organisation's page; otherwise the commune (or, for several
    communes placed at their department's centre, the department) in the list beside the map,
    which names every entry of the dot."""
    if len(entries) == 1 and not entries[0].is_maker:
        return entries[0].url
    if len(communes) == 1:
        return f"#{communes[0].anchor}"
    return f"#map-list-{communes[0].place.department}"


def directory_map_svg(groups: list[DepartmentGroup], *, highlighted=frozenset()):
    """The map: one dot per commune (or per department centre for communes not in the table),
    a link named like its tooltip: the commune and its counts (and a lone organisation's
    name), never a person."""
    dots: dict[tuple[float, float], list] = {}
    for group in groups:
        for commune in group.communes.values():
            place = commune.place
            if place is None or not commune.entries:
                continue
            x, y = svg.map_position(place.lat, place.lon, group.code)
            dots.setdefault((x, y), []).append(commune)
    map_dots = []
    for (x, y), communes in dots.items():
        organisations = sum(c.organisation_count for c in communes)
        makers = sum(c.maker_count for c in communes)
        names = ", ".join(sorted(c.name or _("commune non précisée") for c in communes))
        exact = all(c.place.exact for c in communes)
        label = _("%(communes)s : %(entries)s") % {
            "communes": names,
            "entries": _count_text(organisations, makers),
        }
        entries = [entry for commune in communes for entry in commune.entries]
        if len(entries) == 1 and not entries[0].is_maker:
            # The dot leads to this organisation's page: its name says where.
            label = _("%(place)s, %(name)s") % {"place": label, "name": entries[0].name}
        if not exact:
            label += " " + _("(placé au centre du département)")
        map_dots.append(
            svg.MapDot(
                x=x,
                y=y,
                count=organisations + makers,
                label=label,
                exact=exact,
                url=_dot_url(communes, entries),
            )
        )
    total = sum(d.count for d in map_dots)
    return svg.dot_map(
        chart_id="directory-map",
        title=_("Carte du réseau en Bretagne"),
        desc=ngettext(
            "%(n)s entrée de l'annuaire placée sur la carte, à la commune. ",
            "%(n)s entrées de l'annuaire placées sur la carte, à la commune. ",
            total,
        )
        % {"n": thousands(total)}
        + _(
            "Chaque point est une commune ; plus il est grand, plus elle compte d'organisations "
            "et de makers. La liste qui suit la carte donne les mêmes informations."
        ),
        dots=map_dots,
        names={g.code: g.name for g in groups},
        summaries={g.code: _count_text(g.organisation_count, g.maker_count) for g in groups},
        highlighted=highlighted,
    )


@page_permission(PUBLIC)
@require_safe
def directory_map(request):
    """The public map of the network: where organisations and opted-in makers are, at commune
    level, and a list of the same entries beside it."""
    departments = list(Department.objects.order_by("code"))
    form = MapFilterForm(request.GET or None, departments=departments)
    chosen = form.cleaned_data if form.is_valid() else {}
    department = chosen.get("department", "")
    kind = chosen.get("kind", "")
    groups = directory_map_data(department=department, kind=kind, departments=departments)
    shown = [g for g in groups if not department or g.code == department]
    kinds = Organisation.Kind.choices
    return render(
        request,
        "directory/map.html",
        {
            "filter_form": form,
            "filtered": bool(department or kind) or (bool(request.GET) and not form.is_valid()),
            "map": directory_map_svg(groups, highlighted={department} if department else set()),
            "groups": shown,
            "kinds": kinds,
            "per_department": [
                {
                    "code": g.code,
                    "name": g.name,
                    "per_kind": [(label, g.per_kind.get(value, 0)) for value, label in kinds],
                    "organisations": g.organisation_count,
                    "makers": g.maker_count,
                }
                for g in shown
            ],
            "totals": {
                "per_kind": [
                    (label, sum(g.per_kind.get(v, 0) for g in shown)) for v, label in kinds
                ],
                "organisations": sum(g.organisation_count for g in shown),
                "makers": sum(g.maker_count for g in shown),
            },
        },
    )
