"""The layout's rules (docs/architecture.md): which app may import which, and no
import cycles between the project's modules. Read from the source with `ast`, so a
new import that breaks a rule fails here before it confuses a reader."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each app and the project apps it may import. Plumbing (core) imports none; accounts
# only plumbing; the domain (incidents) nothing above it; the pages built on the
# domain never import each other, except analysis using the spaCy module of imports.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "accounts": {"core"},
    "incidents": {"core", "accounts"},
    "editing": {"core", "accounts", "incidents"},
    "imports": {"core", "accounts", "incidents"},
    "search": {"core", "accounts", "incidents"},
    "analysis": {"core", "accounts", "incidents", "imports"},
    "api": {"core", "accounts", "incidents", "search"},
}
APPS = {*ALLOWED, "ops", "config"}


def modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)
    return out


def test_apps_import_only_what_the_layout_allows():
    wrong = []
    for name, path in modules().items():
        app = name.split(".")[0]
        if app not in ALLOWED:
            continue
        for target in imports_of(name, path, top_level_only=False):
            other = target.split(".")[0]
            if other in APPS and other != app and other not in ALLOWED[app]:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles_between_modules():
    mods = modules()
    graph = {
        name: {t for t in imports_of(name, path, top_level_only=True) if t in mods and t != name}
        for name, path in mods.items()
    }
    # A package's own __init__ importing its submodules is not a cycle of rules.
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)
