"""Reading an item name as people wrote it ("Visières PETG", "Masques tissu AFNOR", "Ouvre porte")
as an item of the catalogue, or saying it cannot be read without asking.

One rule, written here, used by the importer and by the aliases' service:

1. The name's key (normalise.words_key: no case, accents, punctuation, small words or plurals)
   is a name of exactly one item: its slug, French or English name, unit, the catalogue's own
   "other names", or an alias the network remembered (ItemAlias). Names come before units
   and aliases, so an alias never hides a name.
2. The same without spaces ("Ouvreporte", "ouvre-porte" as "ouvre porte").
3. Extra words: every word of some name of an item appears among the name's words ("Visière 3D
   PETG" holds "visière"), or written joined ("sur blouse", "ouvreporte"). The longest such name
   wins; when names of two items tie, nothing is guessed (`candidates` lists them, the person
   chooses). A unit counts here only when it is a word of its item's own name ("visière" for
   "Visière de protection"; never "pièce", which says nothing of the item); a name of three words
   or more also counts by its first two words ("Ouvre-porte" for "Ouvre-porte sans contact").

Rule 3 never reads a name that also says a kind of item the catalogue does not hold ("Masque
FFP2", "Masque chirurgical" are not fabric masks): such a name is asked, never guessed.

No spelling distance: "Visio" is not "Visière". What this cannot read is asked in the import's
preview, and the answer kept as an ItemAlias.
"""

from dataclasses import dataclass, field

from .importing.normalise import words_key
from .models import ItemAlias, ItemType
from .selectors import item_types_active

# How a name was read: one of the catalogue's own names, an alias the network remembered, or
# words in common with a name (rule 3).
BY_NAME, BY_ALIAS, BY_WORDS = "name", "alias", "words"

# Words (as words_key leaves them) naming protective equipment that makers did not produce and
# the catalogue does not hold: a name with one of them is never read by its other words.
OTHER_KINDS = frozenset(
    {"ffp1", "ffp2", "ffp3", "n95", "kn95", "chirurgical", "chirurgicau", "medical", "gant"}
    | {"gel", "hydroalcoolique", "lunette", "charlotte", "surchaussure", "chaussure"}
)


@dataclass(frozen=True)
class ItemReading:
    """What a name reads as: an item (and how), or nothing, with the items it could be when
    several tie (`candidates`)."""

    text: str
    item: ItemType | None = None
    how: str = ""
    alias: ItemAlias | None = None
    candidates: tuple[ItemType, ...] = ()

    @property
    def told(self) -> bool:
        """Read by an alias or by words, not as the catalogue writes it: the preview says so."""
        return self.item is not None and self.how != BY_NAME

    @property
    def ambiguous(self) -> bool:
        return self.item is None and bool(self.candidates)


@dataclass(frozen=True)
class _Partial:
    words: frozenset[str]
    joined: str
    weight: int
    item: ItemType
    alias: ItemAlias | None


def _joined(key: str) -> str:
    return key.replace(" ", "")


@dataclass
class ItemNames:
    """The active catalogue and the network's aliases, indexed once for many names (an import
    reads each distinct name once)."""

    items: list[ItemType]
    aliases: list[ItemAlias] = field(default_factory=list)

    def __post_init__(self):
        self.exact: dict[str, tuple[ItemType, ItemAlias | None]] = {}
        self.joined: dict[str, tuple[ItemType, ItemAlias | None]] = {}
        self.partial: list[_Partial] = []
        self._read: dict[str, ItemReading] = {}
        for item in self.items:
            names = [words_key(text) for text in (item.slug, item.name_fr, item.name_en)]
            for key in names:
                self._add(key, item, partial=True)
            for key in names:
                words = key.split()
                if len(words) >= 3:
                    self._add_partial(" ".join(words[:2]), item, None)
        for item in self.items:
            name_words = set(words_key(item.name_fr).split()) | set(words_key(item.name_en).split())
            for text in item.aliases.split(","):
                self._add(words_key(text), item, partial=True)
            for text in (item.unit_fr, item.unit_en):
                key = words_key(text)
                self._add(key, item, partial=bool(key) and set(key.split()) <= name_words)
        active = {item.pk: item for item in self.items}
        for alias in self.aliases:
            item = active.get(alias.item_type_id)
            if item is not None:  # an alias of an item withdrawn from the catalogue reads nothing
                self._add(alias.key, item, partial=True, alias=alias)

    def _add(self, key: str, item: ItemType, *, partial: bool, alias=None) -> None:
        if not key:
            return
        self.exact.setdefault(key, (item, alias))
        self.joined.setdefault(_joined(key), (item, alias))
        if partial:
            self._add_partial(key, item, alias)

    def _add_partial(self, key: str, item: ItemType, alias) -> None:
        words = key.split()
        self.partial.append(_Partial(frozenset(words), _joined(key), len(words), item, alias))

    def known(self, text: str) -> ItemReading | None:
        """The reading of `text` by its key alone (rules 1 and 2), or None."""
        key = words_key(text)
        found = self.exact.get(key) or self.joined.get(_joined(key)) if key else None
        if found is None:
            return None
        item, alias = found
        return ItemReading(text, item, BY_ALIAS if alias else BY_NAME, alias)

    def read(self, text: str) -> ItemReading:
        """What `text` reads as (the module's rules); never raises."""
        key = words_key(text)
        if key not in self._read:
            self._read[key] = self._reading(text, key)
        reading = self._read[key]
        return reading if reading.text == text else _as_written(reading, text)

    def _reading(self, text: str, key: str) -> ItemReading:
        if not key:
            return ItemReading(text)
        known = self.known(text)
        if known is not None:
            return known
        words = key.split()
        if OTHER_KINDS.intersection(words):
            return ItemReading(text)
        vocabulary = set(words) | {a + b for a, b in zip(words, words[1:], strict=False)}
        best: dict[int, tuple[int, _Partial]] = {}
        for partial in self.partial:
            if partial.words <= vocabulary or partial.joined in vocabulary:
                weight, _kept = best.get(partial.item.pk, (0, None))
                if partial.weight > weight:
                    best[partial.item.pk] = (partial.weight, partial)
        if not best:
            return ItemReading(text)
        top = max(weight for weight, _partial in best.values())
        winners = [partial for weight, partial in best.values() if weight == top]
        if len(winners) > 1:
            order = {item.pk: i for i, item in enumerate(self.items)}
            tied = sorted((p.item for p in winners), key=lambda item: order[item.pk])
            return ItemReading(text, candidates=tuple(tied))
        (winner,) = winners
        return ItemReading(text, winner.item, BY_ALIAS if winner.alias else BY_WORDS, winner.alias)


def _as_written(reading: ItemReading, text: str) -> ItemReading:
    return ItemReading(text, reading.item, reading.how, reading.alias, reading.candidates)


def item_names_index() -> ItemNames:
    """The active catalogue and the network's aliases (with who recorded them), in two queries."""
    aliases = ItemAlias.objects.select_related("created_by", "updated_by").order_by("pk")
    return ItemNames(list(item_types_active()), list(aliases))
