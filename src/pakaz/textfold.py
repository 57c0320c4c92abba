"""Case- and accent-insensitive text matching (`turkiye` finds `Türkiye`, `baki` finds `Bakı`, `Əliyev`
finds `Aliyev`, `Şuşa` finds `Shusha`)."""

from __future__ import annotations

import unicodedata

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
