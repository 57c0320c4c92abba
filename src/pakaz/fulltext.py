"""Full-text search: what a query means (its words, their synonyms, the words to ignore), how hits
rank, and why each matched.

A query is words, never syntax: quotes, `*`, `-`, `NEAR`, `AND`, `OR` and `NOT` are searched
for as words (or ignored as punctuation). Each word, or each phrase the KB knows synonyms of
(`data/synonyms.yaml`, and each sector's aliases), becomes a term that a record matches if it
has any variant of it. `search` prefers records with more of the terms but needs only some;
`--query` needs them all.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple

from pakaz.errors import UsageError
from pakaz.store import END, FACTS, MARK, SEARCHED, search_text, sector_text
from pakaz.textfold import MAX_WORDS, fold

_TOKEN = re.compile(r"[^\W_]+")
# Words of a question that say nothing about what is asked for.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "all",
        "also",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "between",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "during",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "show",
        "tell",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
    ]
)
# bm25 weights, in the order of the index's columns: collection, pos, title, summary, notes, other, folded.
_WEIGHTS = "0, 0, 10.0, 4.0, 1.5, 2.0, 1.0"


class Hit(NamedTuple):
    collection: str
    record: Any
    score: float  # higher is better; comparable within one search only
    matched: int  # how many of the query's terms the record has
    snippet: str  # the matching words in context, each between store.MARK and store.END


class Term(NamedTuple):
    """A word of the query, or a phrase with its synonyms: matched by any of its variants."""

    variants: tuple[tuple[str, ...], ...]  # each a phrase of lowercase words
    prefix: bool  # the last word typed, perhaps unfinished: matches words it begins


def words_of(text: str, *, keep_case: bool = False) -> list[str]:
    """The words of a text as the index splits them: lowercase, accents off (the index ignores
    them too), punctuation dropped. "TÜRKİYE" is one word, "JF-17" two."""
    decomposed = unicodedata.normalize("NFD", text if keep_case else text.casefold())
    return _TOKEN.findall("".join(c for c in decomposed if not unicodedata.combining(c)))


def _acronyms(text: str) -> set[str]:
    """The words typed in capitals ("IT", "US"): an acronym, never a stop word."""
    return {w.casefold() for w in words_of(text, keep_case=True) if len(w) > 1 and w.isupper()}


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _key(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(_singular(fold(w)) for w in words)


def synonym_groups(kb: Any) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Each known phrase (folded, singular) and the variants it stands for: the KB's synonyms and
    each sector's id and aliases."""
    groups = kb.derived.get("synonyms")
    if groups is None:
        groups = {}
        sets = [s.terms for s in kb.synonyms] + [(s.id, *s.aliases) for s in kb.sectors]
        for terms in sets:
            variants = tuple(dict.fromkeys(tuple(words_of(t)) for t in terms))
            variants = tuple(v for v in variants if v)
            for variant in variants:
                key = _key(variant)
                groups[key] = tuple(dict.fromkeys(groups.get(key, ()) + variants))
        kb.derived["synonyms"] = groups
    return groups  # type: ignore[no-any-return]


def terms(kb: Any, text: str) -> list[Term]:
    """The terms of a query: its words without stop words, phrases with synonyms taken together."""
    words = list(dict.fromkeys(words_of(text)))  # a word typed twice counts once
    if len(words) > MAX_WORDS:
        raise UsageError(f"a search of {len(words)} words is too long; give at most {MAX_WORDS}")
    groups = synonym_groups(kb)
    acronyms = _acronyms(text)

    def ignored(word: str) -> bool:
        return word not in acronyms and fold(word) in STOP_WORDS

    unfinished = bool(text.rstrip()) and text.rstrip()[-1].isalnum()  # the last word may be unfinished
    found: list[Term] = []
    i = 0
    while i < len(words):
        for length in range(min(4, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + length])
            variants = groups.get(_key(phrase))
            if variants is not None and not (length == 1 and ignored(phrase[0])):
                found.append(Term(tuple(dict.fromkeys((phrase, *variants))), False))
                i += length
                break
        else:
            # A single letter says nothing (the s of Pakistan's); the last word may be unfinished.
            if not ignored(words[i]) and len(words[i]) > 1:
                found.append(Term(((words[i],),), unfinished and i == len(words) - 1))
            i += 1
    return list(dict.fromkeys(found))


# --- FTS5 -----------------------------------------------------------------------------


def _phrase(words: Sequence[str], prefix: bool) -> str:
    # Every word is a quoted string: FTS5 reads nothing in it as syntax.
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"' + ("*" if prefix else "")


def expression(term: Term) -> str:
    """The FTS5 query of one term: any variant, as written or as pakaz folds it."""
    parts = []
    for variant in term.variants:
        parts.append(_phrase(variant, term.prefix))
        folded = tuple(t for w in variant for t in _TOKEN.findall(fold(w)))
        if folded and folded != variant:
            parts.append("folded : " + _phrase(folded, term.prefix))
    return "(" + " OR ".join(parts) + ")"


def _literal(text: str) -> str | None:
    """The text to look for as it is, for a query with no word worth searching (".*(", "a|b", "the
    of"): its characters, searched for in the folded text as plain characters; None if blank."""
    stripped = " ".join(text.split())
    return fold(stripped) if stripped else None


def containing(kb: Any, collection: str, query: str) -> tuple[str, list[Any]]:
    """An SQL condition on `pos` for the records of `collection` that match every term of `query`."""
    found = terms(kb, query)
    if not found:
        literal = _literal(query)
        if literal is None:
            raise UsageError("Invalid value for '--query': give at least one word to search for")
        condition = "pos IN (SELECT pos FROM pakaz_search WHERE collection = ? AND instr(folded, ?) > 0)"
        return condition, [collection, literal]
    if kb.db.fts:
        match = " AND ".join(expression(t) for t in found)
        return "pos IN (SELECT pos FROM pakaz_search WHERE pakaz_search MATCH ? AND collection = ?)", [
            match,
            collection,
        ]
    conditions, params = _scan_conditions(found)
    return (
        f"pos IN (SELECT pos FROM pakaz_search WHERE collection = ? AND {' AND '.join(conditions)})",
        [collection, *params],
    )


def _scan_conditions(found: Sequence[Term], text: str = "folded") -> tuple[list[str], list[str]]:
    """Without FTS5: one condition per term, a folded substring of `text` (an SQL expression)."""
    conditions, params = [], []
    for term in found:
        phrases = list(dict.fromkeys(fold(" ".join(v)) for v in term.variants))
        conditions.append("(" + " OR ".join(f"instr({text}, ?) > 0" for _ in phrases) + ")")
        params.extend(phrases)
    return conditions, params


# The folded title: the first line of the folded text.
_FOLDED_TITLE = "substr(folded, 1, instr(folded || char(10), char(10)))"


_warned = False


def _say_reduced() -> None:
    global _warned
    if not _warned:
        _warned = True
        sys.stderr.write("pakaz: this Python's SQLite has no FTS5; search works, with reduced ranking\n")


def search(kb: Any, text: str, *, verification: AbstractSet[str] = frozenset(), limit: int | None = None) -> list[Hit]:
    """Records of every kind matching the terms of `text`, best first.

    Facts come before sources, sectors and errata; then records with more of the terms (a record
    needs at least half of them); then by relevance (bm25: a word in a title counts more than in a
    summary, a rare word more than a common one). With `verification`, facts only.
    """
    found = terms(kb, text)
    literal = None if found else _literal(text)
    if not found and literal is None:
        raise UsageError("Invalid value for 'TEXT': give at least one word to search for")
    collections = FACTS if verification else SEARCHED
    db = kb.db
    if literal is not None:
        sql = "SELECT collection, pos, 1.0, 1 FROM pakaz_search WHERE instr(folded, ?) > 0"
        rows = [tuple(r) for r in db.rows(sql, (literal,))]
    elif db.fts:
        rows = _fts_rows(db, found)
    else:
        _say_reduced()
        rows = _scan_rows(db, found)
    need = max(1, (len(found) + 1) // 2)  # with a literal, no terms: every row has its one match
    rows = [r for r in rows if r[3] >= need and r[0] in collections]
    if verification:
        allowed = {
            c: {p for (p,) in db.rows(_in_status(c, verification), sorted(verification))} for c in {r[0] for r in rows}
        }
        rows = [r for r in rows if r[1] in allowed[r[0]]]
    rank = {name: i for i, name in enumerate(SEARCHED)}
    rows.sort(key=lambda r: (r[0] not in FACTS, -r[3], -r[2], rank[r[0]], r[1]))
    if limit is not None:
        rows = rows[:limit]
    sector_words = sector_text(kb)
    hits = []
    for collection, pos, score, matched in rows:
        record = getattr(kb, collection)[pos]
        shown = snippet(search_text(collection, record, sector_words), found, literal)
        hits.append(Hit(collection, record, round(score, 3), matched, shown))
    return hits


def _in_status(collection: str, verification: AbstractSet[str]) -> str:
    if collection not in FACTS:
        raise ValueError(collection)
    return f"SELECT pos FROM pakaz_{collection} WHERE verification IN ({', '.join('?' * len(verification))})"


def _fts_rows(db: Any, found: Sequence[Term]) -> list[tuple[str, int, float, int]]:
    expressions = [expression(t) for t in found]
    if len(expressions) == 1:
        matched = "1"
        params: list[Any] = []
    else:  # how many terms each record has: each term's matches are found once, as a set
        matched = " + ".join("(rowid IN (SELECT rowid FROM pakaz_search WHERE pakaz_search MATCH ?))" for _ in found)
        params = list(expressions)
    sql = (
        f"SELECT collection, pos, -bm25(pakaz_search, {_WEIGHTS}), {matched} FROM pakaz_search"
        " WHERE pakaz_search MATCH ?"
    )
    return [tuple(r) for r in db.rows(sql, [*params, " OR ".join(expressions)])]


def _scan_rows(db: Any, found: Sequence[Term]) -> list[tuple[str, int, float, int]]:
    conditions, params = _scan_conditions(found)
    in_title, _same = _scan_conditions(found, _FOLDED_TITLE)  # a term in the title counts three times
    sql = (
        f"SELECT collection, pos, {' + '.join(conditions)} + 2 * ({' + '.join(in_title)}), {' + '.join(conditions)}"
        f" FROM pakaz_search WHERE {' OR '.join(conditions)}"
    )
    return [tuple(r) for r in db.rows(sql, [*params, *params, *params, *params])]


# --- snippets -----------------------------------------------------------------------------

_WORD = re.compile(r"\S+")
CONTEXT = 12  # words shown around the first match


def _matches(word: str, stems: Sequence[tuple[str, bool]]) -> bool:
    folded = "".join(_TOKEN.findall(fold(word)))
    for stem, exact in stems:
        if folded == stem or (not exact and folded.startswith(stem)) or (exact and folded == stem + "s"):
            return True
    return False


def _stems(found: Sequence[Term]) -> list[tuple[str, bool]]:
    """What a word of the text must begin with to be highlighted: a folded query word, shortened to
    its stem so that summits and summit, recognise and recognition, go together."""
    stems = []
    for term in found:
        for variant in term.variants:
            for word in variant:
                folded = "".join(_TOKEN.findall(fold(word)))
                if term.prefix or len(folded) > 4:
                    stems.append((folded if term.prefix else folded[: max(4, len(folded) - 3)], False))
                elif folded:
                    stems.append((folded, True))  # short words whole: un is not under
    return stems


def snippet(texts: Sequence[str], found: Sequence[Term], literal: str | None = None) -> str:
    """The first matching passage of a record (summary, notes, title, then its other fields), its
    matching words between MARK and END; the start of the summary when none can be pointed at."""
    stems = _stems(found)

    def matches(word: str) -> bool:
        return literal in fold(word) if literal is not None else _matches(word, stems)

    title, summary, notes, other = [*texts, "", "", "", ""][:4]
    for text in (summary, notes, title, other):
        words = _WORD.findall(text.replace(MARK, " ").replace(END, " "))
        hits = [i for i, w in enumerate(words) if matches(w)]
        if not hits:
            continue
        start = max(0, hits[0] - CONTEXT // 3)
        end = min(len(words), start + CONTEXT)
        shown = [_mark(w) if i in hits else w for i, w in enumerate(words[start:end], start)]
        return ("… " if start else "") + " ".join(shown) + (" …" if end < len(words) else "")
    words = _WORD.findall(summary or title)
    return " ".join(words[:CONTEXT]) + (" …" if len(words) > CONTEXT else "")


_EDGES = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


def _mark(word: str) -> str:
    """A word between the marks, its surrounding punctuation outside them: "(JF-17)," marks JF-17."""
    before, core, after = _EDGES.match(word).groups()  # type: ignore[union-attr]
    return f"{before}{MARK}{core}{END}{after}" if core else word


def plain(snippet: str) -> str:
    """A snippet without its highlight marks."""
    return snippet.replace(MARK, "").replace(END, "")


def marked_words(snippet: str) -> list[str]:
    """The distinct highlighted words of a snippet, in order."""
    return list(dict.fromkeys(re.findall(f"{MARK}(.*?){END}", snippet)))
