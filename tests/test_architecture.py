"""The house rules that code review would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["rules", "engine", "models", "views", "app"]
# What each folder (with everything below it) must never import, by dotted prefix.
FORBIDDEN = {
    "rules": {
        "engine",
        "models",
        "views",
        "app",
        "flask",
        "sqlite_utils",
        "sqlite3",
        "durable",
        "durable_rules_engine",
    },
    "engine": {"models", "views", "app", "flask", "sqlite_utils", "sqlite3"},
    "models": {"views", "app", "flask"},
    "models/credentials": {"models.desk", "models.store", "sqlite_utils", "sqlite3"},
    "models/desk": {"sqlite_utils", "sqlite3"},
    "models/store": {"views", "models.credentials"},
    "models/population": {"models.desk", "models.store", "sqlite_utils", "sqlite3"},
    "views": {"app"},
    "views/cli": {"views.pages", "views.api"},
    "views/pages": {"views.cli", "views.api"},
    "views/api": {"views.cli", "views.pages"},
    "bench": {"models", "views", "app", "flask", "sqlite_utils"},
}
ROOMS = [
    "models/credentials",
    "models/desk",
    "models/store",
    "models/population",
    "views/cli",
    "views/pages",
    "views/api",
]


def imports_of(path: Path) -> set[str]:
    """Every absolute module name the file imports (`from a.b import c` gives a.b and a.b.c)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def offending(names: set[str], forbidden: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def all_modules() -> list[Path]:
    return [p for package in LAYERS[:-1] + ["bench"] for p in modules(package)] + [ROOT / "app.py"]


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_run_one_way(folder):
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in modules(folder)
        if (found := offending(imports_of(path), FORBIDDEN[folder]))
    }
    assert offenders == {}


def test_the_layering_rules_cover_every_room():
    # A test that checks nothing passes too: each room must exist and hold modules.
    for room in ROOMS:
        assert (ROOT / room / "__init__.py").is_file(), room
        assert len(modules(room)) > 1, room


@pytest.mark.parametrize("room", ROOMS)
def test_each_room_says_what_lives_there_and_what_it_may_import(room):
    doc = ast.get_docstring(ast.parse((ROOT / room / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "import" in doc, room


def test_only_one_module_imports_durable_rules():
    users = [
        str(p.relative_to(ROOT))
        for p in all_modules()
        if offending(imports_of(p), {"durable", "durable_rules_engine"})
    ]
    assert users == ["engine/durable_backend.py"]


def test_only_the_store_imports_sqlite_utils():
    users = [
        str(p.relative_to(ROOT))
        for p in all_modules()
        if offending(imports_of(p), {"sqlite_utils"})
    ]
    assert users and all(u.startswith("models/store/") for u in users), users


def test_the_benchmark_modules_import_each_other_without_a_circle():
    graph = {
        p.stem: {n.split(".")[1] for n in imports_of(p) if n.startswith("bench.")} - {p.stem}
        for p in modules("bench")
    }
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " → ".join((*path, node))
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, (*path, node))
        done.add(node)

    for node in sorted(graph):
        visit(node, ())


def test_no_eval_or_exec_anywhere():
    calls = []
    for path in all_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                "eval",
                "exec",
                "compile",
            ):
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert calls == []


def test_modules_stay_small_enough_to_read_in_one_sitting():
    big = {
        str(p.relative_to(ROOT)): n
        for p in all_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert big == {}
