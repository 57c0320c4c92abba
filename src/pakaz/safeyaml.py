"""Read YAML as plain data only: every scalar stays text, with the line it came from.

YAML 1.1 type guessing never runs (no `NO` -> False, no `1:30` -> 90, no dates);
tags, anchors, aliases, merge keys and duplicate keys are reported, not obeyed.
The tree is built straight from the parser's events, without PyYAML's composer: an
anchor is refused where it stands, so an alias bomb is never expanded, and nesting is
bounded by a counter instead of by recursion (no RecursionError, no C stack overflow).
"""

from __future__ import annotations

import errno
import gc
import os
import stat
from collections.abc import Callable
from typing import Any

from pakaz.errors import Problem

# The real KB takes about 700 bytes a record: 256 MiB is several hundred thousand records.
MAX_BYTES = 256 * 1024 * 1024
# A KB file is a list of records of lists: 3 levels. Deeper is a mistake or an attack.
MAX_DEPTH = 32
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_CORE = "tag:yaml.org,2002:"
# "!" is YAML's non-specific tag: "! 12" is the text "12", which is what pakaz does anyway.
_SCALAR_TAGS = frozenset({None, "!", _CORE + "str"})
_SEQUENCE_TAGS = frozenset({None, "!", _CORE + "seq"})
_MAPPING_TAGS = frozenset({None, "!", _CORE + "map"})
_WANT_KEY: Any = object()  # the open mapping waits for a key
_SKIP: Any = object()  # the value of a duplicate key: parsed, then dropped


class Map(dict[str, Any]):
    """A YAML mapping, remembering its own line and the line of each key."""

    line: int
    key_lines: dict[str, int]


class Seq(list[Any]):
    """A YAML sequence, remembering its own line and the line of each item."""

    line: int
    item_lines: list[int]


class YAMLProblem(Exception):
    """The file is not plain YAML data; carries the located problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def _loader_class() -> Any:
    import yaml

    # Only the parser is used (events in, no construction): the C one when PyYAML has it.
    return getattr(yaml, "CBaseLoader", None) or yaml.BaseLoader


def _open_problem(error: OSError, path: str) -> str:
    if error.errno == errno.ENOENT:
        if os.path.islink(path):
            return "is a symbolic link to a file that does not exist; fix or remove the link"
        return "file not found"
    if error.errno == errno.ELOOP:
        return "is a loop of symbolic links; make it point to a real file"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: cannot read the file; check its permissions (chmod a+r)"
    if error.errno == errno.EISDIR:
        return "is a directory, expected a YAML file"
    return f"cannot read the file: {error.strerror or error}"


def read(
    path: str, shown_as: str | None = None, on_item: Callable[[Any, int], None] | None = None
) -> tuple[Any, list[Problem]]:
    """Parse the YAML file at `path` into Map/Seq/str/None values.

    Returns the data and the problems that did not stop the parse (duplicate
    keys); raises YAMLProblem for one that did. `shown_as` is the file name
    used in problems (defaults to `path`). With `on_item`, each item of a list at the top
    of the file is handed to it (with its line) as soon as it is read, and not kept.
    """
    name = shown_as or path
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer that never comes.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise YAMLProblem(Problem(name, 0, _open_problem(e, path))) from None
    try:
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise YAMLProblem(Problem(name, 0, "is a directory, expected a YAML file"))
            if not stat.S_ISREG(mode):
                # A FIFO, a device (/dev/zero, /dev/tty) or a socket: reading could block or never end.
                raise YAMLProblem(
                    Problem(name, 0, "is not a regular file (a device, FIFO or socket); point it at a YAML file")
                )
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise YAMLProblem(Problem(name, 0, _open_problem(e, path))) from None
    if len(raw) > MAX_BYTES:
        message = (
            f"file is larger than {MAX_BYTES // 2**20} MiB, the limit for a KB file; check that it is the right file"
        )
        raise YAMLProblem(Problem(name, 0, message))
    text = decode(raw, name)
    del raw  # at 100,000 records, tens of megabytes
    return parse(text, name, on_item)


def decode(raw: bytes, name: str) -> str:
    """The text of a YAML file's bytes: UTF-8, with or without a byte order mark."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise YAMLProblem(Problem(name, 1, "is UTF-16 text, not UTF-8; save the file as UTF-8")) from None
        line = raw.count(b"\n", 0, e.start) + 1
        message = f"not UTF-8 text (byte 0x{raw[e.start]:02x}); save the file as UTF-8"
        raise YAMLProblem(Problem(name, line, message)) from None


def parse(text: str, name: str, on_item: Callable[[Any, int], None] | None = None) -> tuple[Any, list[Problem]]:
    """Parse YAML text (already decoded); see `read`."""
    import yaml

    loader_class = _loader_class()
    loader = None
    builder = _Builder(name, on_item)
    collecting = gc.isenabled()
    gc.disable()  # millions of small containers and no cycles: the collector only costs time
    try:
        loader = loader_class(text)  # the Python reader checks the characters here
        return builder.build(loader.get_event), builder.problems
    except yaml.reader.ReaderError as e:
        # libyaml counts the position in UTF-8 bytes, the Python reader in characters.
        in_bytes = loader_class is getattr(yaml, "CBaseLoader", None)
        raise YAMLProblem(Problem(name, _line_at(text, e.position, in_bytes), _reader_problem(e))) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = e.problem or e.context or "not valid YAML"
        raise YAMLProblem(Problem(name, line, f"invalid YAML: {what}")) from None
    except yaml.YAMLError as e:
        raise YAMLProblem(Problem(name, 0, f"invalid YAML: {e}")) from None
    except UnicodeEncodeError as e:  # a lone surrogate: text that did not come from a UTF-8 file
        line = _line_at(text, e.start, False)
        raise YAMLProblem(
            Problem(name, line, f"not UTF-8 text (U+{ord(text[e.start]):04X}); save the file as UTF-8")
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
        if collecting:
            gc.enable()


def _line_at(text: str, position: int, in_bytes: bool) -> int:
    before = text.encode("utf-8", "surrogatepass")[:position] if in_bytes else text[:position]
    return before.count(b"\n" if in_bytes else "\n") + 1  # type: ignore[arg-type]


def _reader_problem(error: Any) -> str:
    character = error.character
    code = ord(character) if isinstance(character, str) else character
    if isinstance(code, int):
        return (
            f"a raw control character (U+{code:04X}) is not allowed in YAML; "
            'remove it, or write it as an escape in a double-quoted string, e.g. "\\x1b"'
        )
    return f"invalid YAML: {error.reason}"


def _tag_problem(tag: str) -> str:
    return f"tags are not allowed (found '{tag.replace(_CORE, '!!')}'); remove the tag and write plain data"


class _Builder:
    """Builds Map/Seq/str/None values from parser events, refusing everything that is not plain data."""

    def __init__(self, name: str, on_item: Callable[[Any, int], None] | None = None) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.on_item = on_item

    def fail(self, event: Any, message: str) -> YAMLProblem:
        return YAMLProblem(Problem(self.name, event.start_mark.line + 1, message))

    def build(self, next_event: Any) -> Any:
        import yaml

        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        document_start, stream_end = yaml.DocumentStartEvent, yaml.StreamEndEvent
        nulls = _NULLS
        # Open containers, innermost last; for each, the key waiting for its value
        # (a mapping) or None (a sequence).
        stack: list[Any] = []
        keys: list[Any] = []
        root: Any = None
        documents = 0
        on_item = self.on_item
        while True:
            event = next_event()
            kind = type(event)
            if kind is scalar_event:
                if event.anchor is not None:
                    raise self.fail(event, f"anchors (&{event.anchor}) are not allowed; write the value out")
                tag = event.tag
                if tag not in _SCALAR_TAGS:
                    raise self.fail(event, _tag_problem(tag))
                value = event.value
                if not stack:
                    root = None if tag is None and not event.style and value in nulls else value
                    continue
                top = stack[-1]
                key = keys[-1]
                if key is None:  # an item of a sequence
                    value = None if tag is None and not event.style and value in nulls else value
                    top.item_lines.append(event.start_mark.line + 1)
                    if on_item is not None and len(stack) == 1:
                        on_item(value, top.item_lines[-1])
                    else:
                        top.append(value)
                elif key is _WANT_KEY:
                    keys[-1] = self.key(top, event)
                else:
                    if key is not _SKIP:
                        top[key] = None if tag is None and not event.style and value in nulls else value
                    keys[-1] = _WANT_KEY
            elif kind is mapping_start or kind is sequence_start:
                if event.anchor is not None:
                    raise self.fail(event, f"anchors (&{event.anchor}) are not allowed; write the value out")
                container: Any
                if kind is mapping_start:
                    if event.tag not in _MAPPING_TAGS:
                        raise self.fail(event, _tag_problem(event.tag))
                    container = Map()
                    container.key_lines = {}
                else:
                    if event.tag not in _SEQUENCE_TAGS:
                        raise self.fail(event, _tag_problem(event.tag))
                    container = Seq()
                    container.item_lines = []
                line = event.start_mark.line + 1
                container.line = line
                if stack:
                    top = stack[-1]
                    key = keys[-1]
                    if key is None:
                        top.append(container)
                        top.item_lines.append(line)
                    elif key is _WANT_KEY:
                        raise self.fail(event, "mapping keys must be plain text, not a list or a mapping")
                    else:
                        if key is not _SKIP:
                            top[key] = container
                        keys[-1] = _WANT_KEY
                else:
                    root = container
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(event, f"nesting deeper than {MAX_DEPTH} levels; a KB record needs 3 at most")
                stack.append(container)
                keys.append(_WANT_KEY if kind is mapping_start else None)
            elif kind is mapping_end or kind is sequence_end:
                done = stack.pop()
                keys.pop()
                if on_item is not None and len(stack) == 1 and keys[0] is None:
                    stack[0].pop()  # an item of the top list: handed over, not kept
                    on_item(done, stack[0].item_lines[-1])
            elif kind is alias_event:
                raise self.fail(event, f"aliases (*{event.anchor}) are not allowed; write the value out")
            elif kind is document_start:
                documents += 1
                if documents > 1:
                    raise self.fail(event, "a second YAML document ('---') is not allowed; a KB file holds one")
            elif kind is stream_end:
                return root

    def key(self, mapping: Map, event: Any) -> Any:
        """Record the key `event` of `mapping`; return what its value is stored under."""
        key: str = event.value
        line: int = event.start_mark.line + 1
        if key == "<<" and not event.style:
            raise self.fail(event, "merge keys (<<) are not allowed; write the fields out")
        first = mapping.key_lines.get(key)
        if first is not None:
            self.problems.append(
                Problem(self.name, line, f"duplicate key '{key}' (first given on line {first}); keep one")
            )
            return _SKIP
        mapping.key_lines[key] = line
        return key
