"""The rooms of DESIGN.md hold (issue 25): no import cycle between the project's modules, and no room imports one it
may not. Module-level imports only: an import inside a function is a deliberate late binding, not a dependency of
the module's loading."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("coord_transform", "geo_core", "alarms", "layers", "tiles", "web", "video", "demo")
# Which rooms each room may import (DESIGN.md); its own always.
MAY = {
    "coord_transform": set(),
    "geo_core": {"coord_transform"},
    "alarms": {"geo_core", "coord_transform"},
    "layers": {"geo_core", "tiles", "coord_transform"},
    "tiles": {"geo_core"},
    "web": {"geo_core", "layers", "alarms", "video"},  # its views only read, the pages use public URLs
    "video": {"geo_core", "alarms", "coord_transform"},
    "demo": set(ROOMS),
}


def modules() -> dict[str, Path]:
    out = {}
    for room in ROOMS:
        for path in (ROOT / room).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts or "node_modules" in rel.parts:
                continue
            name = ".".join(rel.with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = [f"{node.module}.{a.name}" for a in node.names]
                targets = [s for s in subs if s in mods] or [node.module]
            for t in targets:
                found = resolve(t)
                if found and found != name:
                    edges[name].add(found)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_itself_round_a_cycle():
    assert cycles(graph()) == []


def test_each_room_imports_only_the_rooms_it_may():
    wrong = sorted(
        f"{m} -> {t}"
        for m, ts in graph().items()
        for t in ts
        if t.split(".")[0] != m.split(".")[0] and t.split(".")[0] not in MAY[m.split(".")[0]]
    )
    assert wrong == []


def test_coord_transform_is_a_plain_library():
    for path in (ROOT / "coord_transform").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] == "django" for n in names), path
