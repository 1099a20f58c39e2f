"""How the importer compares what people type: cells as text, keys blind to case and accents.

Headers and catalogue names also ignore small words and plurals; people and organisations
only case, accents and spaces.
"""

import re
import unicodedata
from functools import lru_cache

# Small words spreadsheets add or drop at will ("masques en tissu", "date de production").
_STOPWORDS = frozenset(
    {"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "pour", "par"}
    | {"of", "the", "in", "eur", "euro", "euros"}
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def _ascii_lower(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=8192)
def words_key(text: str) -> str:
    """Key for catalogue names and headers: no case, accents, punctuation, small words, plurals."""
    words = _NOT_ALNUM.sub(" ", _ascii_lower(_BRACKETED.sub(" ", text))).split()
    kept = []
    for word in words:
        if word in _STOPWORDS:
            continue
        if len(word) > 2 and word[-1] in "sx":
            word = word[:-1]
        kept.append(word)
    return " ".join(kept)


@lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """Key for people and organisations: case, accents and extra spaces do not matter."""
    return " ".join(_ascii_lower(text).split())


@lru_cache(maxsize=1024)
def compact_key(text: str) -> str:
    return _NOT_ALNUM.sub("", _ascii_lower(text))


def clean(value) -> str:
    """A cell as text, spaces collapsed; whole floats lose their ".0" (35.0 → "35")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())
