"""The layers of pakaz: data flows one way, storage knows no output format, nothing imports in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "pakaz"
# What turns records into output: storage, loading and the model must never need it.
OUTPUT = {"render", "views", "detail", "overview", "chart", "cite", "cli", "__main__"}
STORAGE = {"store", "tables", "cache", "kb", "model", "textfold", "safeyaml", "files", "dates", "errors", "schema"}


def imports() -> dict[str, set[str]]:
    """Each module and the pakaz modules it imports anywhere, at the top or inside a function."""
    modules = {p.stem for p in SRC.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in SRC.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pakaz":
                if node.module == "pakaz":
                    found |= {a.name for a in node.names if a.name in modules}
                else:
                    found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("pakaz.")}
        graph[path.stem] = found - {path.stem}
    return graph


def test_storage_knows_no_output_format() -> None:
    graph = imports()
    for module in STORAGE:
        assert not graph[module] & OUTPUT, (module, graph[module] & OUTPUT)


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """An import cycle of the graph, as the modules around it, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for other in sorted(graph.get(module, ())):
            found = visit(other, [*path, module])
            if found:
                return found
        done.add(module)
        return None

    for module in sorted(graph):
        found = visit(module, [])
        if found:
            return found
    return None


def test_nothing_imports_in_a_circle() -> None:
    assert cycle(imports()) is None


def test_the_check_finds_a_cycle() -> None:
    assert cycle({"kb": {"store"}, "store": {"tables"}, "tables": {"kb"}}) == ["kb", "store", "tables", "kb"]
    assert cycle({"kb": {"store"}, "store": {"tables"}, "tables": set()}) is None
