"""The house rules that code review would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["rules", "engine", "models", "views", "app"]
FORBIDDEN = {
    "rules": {
        "engine",
        "models",
        "views",
        "app",
        "flask",
        "sqlite_utils",
        "durable",
        "durable_rules_engine",
    },
    "engine": {"models", "views", "app", "flask", "sqlite_utils"},
    "models": {"views", "app", "flask"},
    "views": {"app"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).glob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imports_of(path) & FORBIDDEN[package])
        for path in modules(package)
        if imports_of(path) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_only_one_module_imports_durable_rules():
    users = [
        str(p.relative_to(ROOT))
        for package in LAYERS[:-1] + ["bench"]
        for p in modules(package)
        if imports_of(p) & {"durable", "durable_rules_engine"}
    ]
    assert users == ["engine/durable_backend.py"]


def test_no_eval_or_exec_anywhere():
    calls = []
    for package in LAYERS[:-1]:
        for path in modules(package):
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
        for package in LAYERS[:-1]
        for p in modules(package)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert big == {}
