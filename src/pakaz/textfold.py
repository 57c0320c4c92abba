"""Case- and accent-insensitive text matching (`turkiye` finds `Türkiye`, `baki` finds `Bakı`, `Əliyev`
finds `Aliyev`, `Şuşa` finds `Shusha`)."""

from __future__ import annotations

import unicodedata
from typing import Any

# Letters that Unicode does not decompose into a base letter plus an accent. Azerbaijani ə is
# romanised a (Əliyev, Aliyev) and ı is i; ş, ç, ğ, ö and ü lose their marks below.
_EXTRA = str.maketrans(
    {"ə": "a", "Ə": "a", "ı": "i", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "æ": "ae", "œ": "oe"}
)
MAX_WORDS = 32  # a question is a dozen words; thousands would make a search run for minutes


def fold(text: str) -> str:
    """Lowercase `text` and strip its accents, for comparisons only (never for display).

    English spells Azerbaijani ş and ç as sh and ch (Şuşa, Shusha): both sides of a comparison
    write sh as s and ch as c, so that either spelling finds the other.
    """
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text.casefold().replace("sh", "s").replace("ch", "c")


def words(text: str) -> list[str]:
    """The distinct folded words of a query, in order; matching is plain substring, never a pattern."""
    from pakaz.errors import UsageError

    found = list(dict.fromkeys(fold(text).split()))
    if len(found) > MAX_WORDS:
        raise UsageError(f"a search of {len(found)} different words is too long; give at most {MAX_WORDS}")
    return found


# References to other records are not text to search in.
NOT_SEARCHED = frozenset({"sources", "records", "event", "verification"})
_SEARCHED_FIELDS: dict[type, tuple[int, ...]] = {}


def searchable_text(record: Any) -> str:
    """The text of a record that `--query` and `search` look in: its words, not its references."""
    cls = type(record)
    positions = _SEARCHED_FIELDS.get(cls)
    if positions is None:
        positions = _SEARCHED_FIELDS[cls] = tuple(i for i, n in enumerate(cls._fields) if n not in NOT_SEARCHED)
    parts: list[str] = []
    for i in positions:
        value = record[i]
        if type(value) is str:
            parts.append(value)
        elif type(value) is tuple:
            parts.extend(value)
    return "\n".join(parts)


def folded_texts(kb: Any, collection: str) -> list[str]:
    """The folded searchable text of each record of a collection, from the KB's cache when it has it."""
    from pakaz.kb import folded_index

    if "folded" not in kb.derived:  # read the search file at most once per loaded KB
        kb.derived["folded"] = folded_index(kb)
    stored = (kb.derived["folded"] or {}).get(collection)
    if stored is not None:
        return stored.split(FOLDED_SEPARATOR) if stored else []
    return [fold(searchable_text(r)) for r in getattr(kb, collection)]


FOLDED_SEPARATOR = "\x1e"
