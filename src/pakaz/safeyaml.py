"""Read YAML as plain data only: every scalar stays text, with the line it came from.

YAML 1.1 type guessing never runs (no `NO` -> False, no `1:30` -> 90, no dates);
tags, anchors, aliases, merge keys and duplicate keys are reported, not obeyed.
"""

from __future__ import annotations

from typing import Any

from pakaz.errors import Problem

MAX_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset({_CORE + "str", _CORE + "seq", _CORE + "map"})


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

    base: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

    class PlainLoader(base):  # type: ignore[misc,valid-type]
        """A safe loader that resolves every plain scalar to a string."""

    PlainLoader.yaml_implicit_resolvers = {}
    return PlainLoader


_LOADER: Any = None


def read(path: str, shown_as: str | None = None) -> tuple[Any, list[Problem]]:
    """Parse the YAML file at `path` into Map/Seq/str/None values.

    Returns the data and the problems that did not stop the parse (duplicate
    keys); raises YAMLProblem for one that did. `shown_as` is the file name
    used in problems (defaults to `path`).
    """
    name = shown_as or path
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise YAMLProblem(Problem(name, 0, "is a directory, expected a YAML file")) from None
    except FileNotFoundError:
        raise YAMLProblem(Problem(name, 0, "file not found")) from None
    except PermissionError:
        raise YAMLProblem(Problem(name, 0, "permission denied: cannot read the file")) from None
    except OSError as e:
        raise YAMLProblem(Problem(name, 0, f"cannot read the file: {e.strerror or e}")) from None
    if len(raw) > MAX_BYTES:
        raise YAMLProblem(Problem(name, 0, f"file is larger than {MAX_BYTES // 2**20} MiB"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise YAMLProblem(
            Problem(name, line, f"not UTF-8 text (byte 0x{raw[e.start]:02x}); save the file as UTF-8")
        ) from None
    return parse(text, name)


def parse(text: str, name: str) -> tuple[Any, list[Problem]]:
    """Parse YAML text (already decoded); see `read`."""
    import yaml

    global _LOADER
    if _LOADER is None:
        _LOADER = _loader_class()
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = e.problem or "invalid YAML"
        raise YAMLProblem(Problem(name, line, f"invalid YAML: {what}")) from None
    except yaml.YAMLError as e:
        raise YAMLProblem(Problem(name, 0, f"invalid YAML: {e}")) from None
    except RecursionError:
        raise YAMLProblem(Problem(name, 0, "nesting is too deep")) from None
    finally:
        loader.dispose()
    if node is None:
        return None, []
    converter = _Converter(name)
    return converter.convert(node, 0), converter.problems


class _Converter:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: set[int] = set()
        self.problems: list[Problem] = []

    def fail(self, node: Any, message: str) -> YAMLProblem:
        return YAMLProblem(Problem(self.name, node.start_mark.line + 1, message))

    def convert(self, node: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        if id(node) in self.seen:
            raise self.fail(node, "anchors and aliases (&, *) are not allowed; write the value out")
        self.seen.add(id(node))
        if node.tag not in _ALLOWED_TAGS:
            raise self.fail(node, f"tags are not allowed (found '{node.tag.replace(_CORE, '!!')}')")
        if node.id == "scalar":
            value: str = node.value
            if not node.style and value in _NULLS:
                return None
            return value
        if node.id == "sequence":
            seq = Seq(self.convert(item, depth + 1) for item in node.value)
            seq.line = node.start_mark.line + 1
            seq.item_lines = [item.start_mark.line + 1 for item in node.value]
            return seq
        mapping = Map()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.id != "scalar" or key_node.tag not in _ALLOWED_TAGS:
                raise self.fail(key_node, "mapping keys must be plain text")
            key = key_node.value
            if key == "<<" and not key_node.style:
                raise self.fail(key_node, "merge keys (<<) are not allowed; write the fields out")
            if key in mapping.key_lines:
                first = mapping.key_lines[key]
                line = key_node.start_mark.line + 1
                message = f"duplicate key '{key}' (first given on line {first}); keep one"
                self.problems.append(Problem(self.name, line, message))
                continue
            mapping.key_lines[key] = key_node.start_mark.line + 1
            mapping[key] = self.convert(value_node, depth + 1)
        return mapping
