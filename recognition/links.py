"""Cooperation links: who has worked with whom, computed from what the platform already records.

Three sources, each read with one aggregate query, whatever the size of the network:
- shared organisations: a maker is linked to each organisation they belong to ("member"); two
  makers of the same organisation are linked ("co_member"); two organisations sharing a member
  are linked ("shared_member");
- workshops attended together: two people whose registrations were marked present at the same
  workshop, through the maker profile of their account ("workshop"). Guests, who have no
  account, never appear;
- production for the same recipients: producers (the maker of a validated report, and the
  organisation it was made for) who delivered to the same recipient, its name compared without
  case, accents or punctuation ("recipient").

A link is an unordered pair of nodes with, per kind, how many times it was seen (shared
organisations, workshops, recipients); its weight is their sum. Privacy: `viewer_sees_all`
tells whether a viewer sees every node; the others see only public organisations that are not
merged duplicates and makers who opted in; what they may not see is counted, never named. No
e-mail is ever read here.
"""

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

import rules
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from makers.models import Maker, Membership, ProductionReport
from workshops.models import Registration

ORGANISATION, MAKER = "o", "m"
NodeKey = tuple[str, int]

MEMBER = "member"
CO_MEMBER = "co_member"
SHARED_MEMBER = "shared_member"
WORKSHOP = "workshop"
RECIPIENT = "recipient"
KIND_LABELS = {
    MEMBER: _("membre de l'organisation"),
    CO_MEMBER: _("membres d'une même organisation"),
    SHARED_MEMBER: _("membres en commun"),
    WORKSHOP: _("ateliers suivis ensemble"),
    RECIPIENT: _("production pour les mêmes destinataires"),
}
KINDS = tuple(KIND_LABELS)


def recipient_normalise(name: str) -> str:
    """The key recipients are compared by: "CHU de Rennes", "C.H.U. de  Rennes" and
    "chu de rennes" are the same recipient."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = text.replace(".", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@dataclass
class Link:
    a: NodeKey
    b: NodeKey
    kinds: Counter = field(default_factory=Counter)

    @property
    def weight(self) -> int:
        return sum(self.kinds.values())

    def other(self, key: NodeKey) -> NodeKey:
        return self.b if key == self.a else self.a

    @property
    def kind_labels(self) -> list[str]:
        return [str(KIND_LABELS[kind]) for kind in KINDS if self.kinds.get(kind)]


@dataclass(frozen=True)
class Node:
    key: NodeKey
    name: str
    department: str
    commune: str
    is_public: bool
    kind: str  # an organisation's kind, or "maker"
    url: str | None  # its public directory page, when it has one

    @property
    def is_organisation(self) -> bool:
        return self.key[0] == ORGANISATION


class Links:
    """Links accumulated pair by pair; a pair is stored once, in a stable order."""

    def __init__(self):
        self.by_pair: dict[tuple[NodeKey, NodeKey], Link] = {}

    def add(self, a: NodeKey, b: NodeKey, kind: str, times: int = 1) -> None:
        if a == b:
            return
        pair = (a, b) if a < b else (b, a)
        link = self.by_pair.get(pair)
        if link is None:
            link = self.by_pair[pair] = Link(*pair)
        link.kinds[kind] += times

    def __iter__(self):
        return iter(self.by_pair.values())

    def __len__(self):
        return len(self.by_pair)


def _pairs(nodes: set[NodeKey], focus: NodeKey | None):
    """Every pair among these nodes or, for one node's links, only the pairs with it: a big
    organisation's members make many pairs, none of which a page about another node needs."""
    if focus is None:
        return combinations(sorted(nodes), 2)
    if focus not in nodes:
        return ()
    return ((focus, other) for other in sorted(nodes) if other != focus)


def links_from_rows(
    *,
    memberships: Iterable[tuple[int, int]],
    attendances: Iterable[tuple[int, int]],
    deliveries: Iterable[tuple[str, int, int | None]],
    merged: dict[int, int] | None = None,
    focus: NodeKey | None = None,
) -> Links:
    """The links, from plain rows: (maker, organisation) memberships, (workshop, maker)
    attendances, (recipient, maker, organisation or None) validated deliveries. A merged
    duplicate counts as the organisation it was merged into. With `focus`, only that node's
    links. Pure: no query here."""
    merged = merged or {}

    def org(pk: int) -> NodeKey:
        seen = set()
        while pk in merged and pk not in seen:  # a chain of merges, never a loop
            seen.add(pk)
            pk = merged[pk]
        return (ORGANISATION, pk)

    links = Links()
    members: dict[NodeKey, set[NodeKey]] = defaultdict(set)
    for maker_id, organisation_id in memberships:
        members[org(organisation_id)].add((MAKER, maker_id))
    organisations_of: dict[NodeKey, set[NodeKey]] = defaultdict(set)
    for organisation, people in members.items():
        for person in people:
            if focus is None or focus in (person, organisation):
                links.add(person, organisation, MEMBER)
            organisations_of[person].add(organisation)
        for a, b in _pairs(people, focus):
            links.add(a, b, CO_MEMBER)
    for organisations in organisations_of.values():
        for a, b in _pairs(organisations, focus):
            links.add(a, b, SHARED_MEMBER)

    present: dict[int, set[NodeKey]] = defaultdict(set)
    for workshop_id, maker_id in attendances:
        present[workshop_id].add((MAKER, maker_id))
    for people in present.values():
        for a, b in _pairs(people, focus):
            links.add(a, b, WORKSHOP)

    producers: dict[str, set[NodeKey]] = defaultdict(set)
    for recipient, maker_id, organisation_id in deliveries:
        key = recipient_normalise(recipient)
        if not key:
            continue
        producers[key].add((MAKER, maker_id))
        if organisation_id is not None:
            producers[key].add(org(organisation_id))
    for nodes in producers.values():
        for a, b in _pairs(nodes, focus):
            links.add(a, b, RECIPIENT)
    return links


def _merged() -> dict[int, int]:
    return dict(
        Organisation.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id")
    )


def network_links(*, focus: NodeKey | None = None) -> Links:
    """Every link of the network, or only what is needed for one node's links (`focus`), in
    four queries whatever the size of the network."""
    merged = _merged()
    memberships = Membership.objects.all()
    attendances = Registration.objects.filter(
        attended=True, user__isnull=False, user__maker__isnull=False
    ).exclude(status=Registration.Status.CANCELLED)
    deliveries = ProductionReport.objects.filter(status=ProductionReport.Status.VALIDATED).exclude(
        recipient=""
    )
    if focus is not None:
        kind, pk = focus
        if kind == MAKER:
            memberships = memberships.filter(
                organisation__in=Membership.objects.filter(maker_id=pk).values("organisation")
            )
            attendances = attendances.filter(
                workshop__in=attendances.filter(user__maker__pk=pk).values("workshop")
            )
        else:
            # The organisation and the duplicates merged into it are one node.
            same = [pk, *(old for old, new in merged.items() if new == pk)]
            memberships = memberships.filter(
                maker__in=Membership.objects.filter(organisation_id__in=same).values("maker")
            )
            attendances = attendances.none()
    return links_from_rows(
        memberships=memberships.values_list("maker_id", "organisation_id"),
        attendances=attendances.values_list("workshop_id", "user__maker__pk").distinct(),
        deliveries=deliveries.values_list("recipient", "maker_id", "organisation_id").distinct(),
        merged=merged,
        focus=focus,
    )


def viewer_sees_all(viewer) -> bool:
    """Who sees every node, named: those who may view the whole network graph."""
    return viewer is not None and rules.has_perm("network.view_graph", viewer)


def _nodes(organisations, makers) -> dict[NodeKey, Node]:
    nodes = {}
    for row in organisations.values(
        "pk", "name", "slug", "kind", "department_id", "commune", "is_public", "merged_into_id"
    ):
        public = row["is_public"] and row["merged_into_id"] is None
        nodes[(ORGANISATION, row["pk"])] = Node(
            key=(ORGANISATION, row["pk"]),
            name=row["name"],
            department=row["department_id"],
            commune=row["commune"],
            is_public=public,
            kind=row["kind"],
            url=reverse("directory:organisation", args=[row["slug"]]) if public else None,
        )
    for row in makers.values("pk", "display_name", "department_id", "commune", "is_public"):
        nodes[(MAKER, row["pk"])] = Node(
            key=(MAKER, row["pk"]),
            name=row["display_name"],
            department=row["department_id"],
            commune=row["commune"],
            is_public=row["is_public"],
            kind="maker",
            url=reverse("directory:maker", args=[row["pk"]]) if row["is_public"] else None,
        )
    return nodes


def nodes_of(keys: Iterable[NodeKey]) -> dict[NodeKey, Node]:
    """The nodes for these keys, in two queries (organisations, makers)."""
    keys = set(keys)
    return _nodes(
        Organisation.objects.filter(pk__in=[pk for kind, pk in keys if kind == ORGANISATION]),
        Maker.objects.filter(pk__in=[pk for kind, pk in keys if kind == MAKER]),
    )


@dataclass
class NodeLinks:
    """One node's links as a page shows them: the visible ones, strongest first, and how many
    others there are that this viewer may not see."""

    shown: list[tuple[Node, Link]]
    hidden_count: int

    @property
    def total(self) -> int:
        return len(self.shown) + self.hidden_count


def _links_of(key: NodeKey, viewer) -> NodeLinks:
    links = [link for link in network_links(focus=key) if key in (link.a, link.b)]
    nodes = nodes_of(link.other(key) for link in links)
    sees_all = viewer_sees_all(viewer)
    shown, hidden = [], 0
    for link in links:
        node = nodes.get(link.other(key))
        if node is None:
            continue
        if sees_all or node.is_public:
            shown.append((node, link))
        else:
            hidden += 1
    shown.sort(key=lambda pair: (-pair[1].weight, pair[0].name.lower(), pair[0].key))
    return NodeLinks(shown=shown, hidden_count=hidden)


def links_for_organisation(organisation: Organisation, viewer) -> dict:
    """The context of `network/_links.html` for an organisation's page."""
    return {
        "links": _links_of((ORGANISATION, organisation.pk), viewer),
        "links_subject": organisation.name,
        "links_sees_all": viewer_sees_all(viewer),
    }


def links_for_maker(maker: Maker, viewer) -> dict:
    """The context of `network/_links.html` for a maker's profile."""
    return {
        "links": _links_of((MAKER, maker.pk), viewer),
        "links_subject": maker.display_name,
        "links_sees_all": viewer_sees_all(viewer),
    }


def links_listed(
    nodes: dict[NodeKey, Node], links: Iterable[Link], *, kind: str = "", department: str = ""
) -> list[Link]:
    """The links of the whole network as its table lists them (page and API alike): both ends
    among `nodes`, of `kind` if given, touching `department` (either end) if given; strongest
    first, then by the names of their ends, then by their keys (a total order: a pair is one
    link)."""
    listed = [link for link in links if link.a in nodes and link.b in nodes]
    if kind:
        listed = [link for link in listed if link.kinds.get(kind)]
    if department:
        listed = [
            link
            for link in listed
            if department in (nodes[link.a].department, nodes[link.b].department)
        ]
    listed.sort(key=lambda link: link_order(link, nodes))
    return listed


def link_order(link: Link, nodes: dict[NodeKey, Node]) -> tuple:
    """Where a link stands in the table: weight (strongest first), names, then keys."""
    return (
        -link.weight,
        nodes[link.a].name.lower(),
        nodes[link.b].name.lower(),
        link.a[0],
        link.a[1],
        link.b[0],
        link.b[1],
    )


def all_nodes() -> dict[NodeKey, Node]:
    """Every organisation that is not a merged duplicate and every maker, public or not: for
    the viewers `viewer_sees_all` admits. Two queries."""
    return _nodes(Organisation.objects.filter(merged_into__isnull=True), Maker.objects.all())
