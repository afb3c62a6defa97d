"""The edges and the judge stay apart, read from the source with ast (no module imported): nothing under
cloud/ or channels/, nor archive/oss.py, imports judge/, directly or through another module of the package;
and judge/ imports none of them. What the cloud answered reaches the judge as model data only."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "function" / "backup_report"
EDGES = ("backup_report.cloud", "backup_report.channels", "backup_report.archive.oss")
JUDGE = ("backup_report.judge",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, modules: set[str]) -> set[str]:
    """The package's modules `path` imports, anywhere in it (`from . import x` names module x)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            targets = [source] + [f"{source}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # backup_report.model.Instance -> backup_report.model
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imported(p, modules) for p in paths}


def reached(start: str, edges: dict[str, set[str]]) -> dict[str, list[str]]:
    """Every module `start` imports through the package, with the chain that gets there."""
    chains, queue = {start: [start]}, [start]
    while queue:
        current = queue.pop(0)
        for target in sorted(edges[current]):
            if target not in chains:
                chains[target] = chains[current] + [target]
                queue.append(target)
    del chains[start]
    return chains


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


GRAPH = graph()


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if under(m, EDGES)))
def test_the_edges_never_import_the_judge(module):
    chains = [" -> ".join(chain) for target, chain in reached(module, GRAPH).items() if under(target, JUDGE)]
    assert not chains, f"{module} imports the judge: {chains}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if under(m, JUDGE)))
def test_the_judge_never_imports_the_edges(module):
    chains = [" -> ".join(chain) for target, chain in reached(module, GRAPH).items() if under(target, EDGES)]
    assert not chains, f"{module} imports an edge: {chains}"


def test_the_graph_sees_relative_absolute_and_function_level_imports():
    assert {"backup_report.cloud.answers", "backup_report.cloud.paging", "backup_report.bounded",
            "backup_report.model"} <= GRAPH["backup_report.cloud.kvstore"]  # from . import …, from .. import …
    assert "backup_report.cloud.answers" in GRAPH["backup_report.cloud.paging"]  # imported inside a method
    assert "backup_report.judge.schedule" in GRAPH["backup_report.archive.record"]  # archive/record (pure) may
    assert len([m for m in GRAPH if under(m, EDGES)]) > 15 and len([m for m in GRAPH if under(m, JUDGE)]) > 8
