"""Case- and accent-insensitive text matching (`turkiye` finds `Türkiye`, `baki` finds `Bakı`)."""

from __future__ import annotations

import unicodedata

# Letters that Unicode does not decompose into a base letter plus an accent.
_EXTRA = str.maketrans({"ə": "e", "Ə": "e", "ı": "i", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "æ": "ae", "œ": "oe"})


def fold(text: str) -> str:
    """Lowercase `text` and strip its accents, for comparisons only (never for display)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words of a query; matching is plain substring, never a pattern."""
    return fold(text).split()
