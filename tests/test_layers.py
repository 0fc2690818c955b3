"""The package's layers, read from the folder names: imports point one way and never form a cycle.

    core/, related/  the papers' mathematics (pure)            may import: core, config
    cache, sweeps    running and caching batched trials         may import: the layers below
    experiments/     runs that several pages compose            may import: the layers below
    figures/         one experiment per book page (no drawing)  may import: the layers below, never another figure
    plots/           drawing, one module per page               may import: the layers below
    cli, bench, ...  entry points                               may import: anything

Every ``import`` counts, including those inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "src" / "recovery"

# (prefix, rank): a module may import modules of lower or equal rank only (equal: same layer).
LAYERS = [
    ("recovery.config", 0),
    ("recovery.core", 1),
    ("recovery.related", 1),
    ("recovery.cache", 2),
    ("recovery.progress", 0),  # text progress bars: used from core's integrator
    ("recovery.record", 2),  # provenance of a result
    ("recovery.distributed", 2),  # Dask: batches of run_many on workers
    ("recovery.sweeps", 2),
    ("recovery.experiments", 3),
    ("recovery.figures", 4),
    ("recovery.plots", 5),
]
TOP = 6  # cli, bench, explore, __main__: entry points


def _name(path: Path) -> str:
    return ".".join(("recovery",) + path.relative_to(PKG).with_suffix("").parts).removesuffix(".__init__")


MODULES = {_name(p): p for p in PKG.rglob("*.py")}


def rank(module: str) -> int:
    if module == "recovery":
        return 0  # the package itself: __version__ only
    for prefix, r in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return r
    return TOP


def imports_of(module: str) -> set[str]:
    """Modules of the package that ``module`` imports anywhere in its body (resolved, relative or absolute)."""
    path = MODULES[module]
    pkg = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                out.add(full if full in MODULES else base)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m in MODULES and m != module}


GRAPH = {m: imports_of(m) for m in MODULES}


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for a, targets in sorted(graph.items()):
        if a == "recovery":
            continue  # the package's facade (__version__, provenance()): imports lazily, imported by no layer
        for b in sorted(targets):
            if rank(b) > rank(a):
                bad.append(f"{a} -> {b} (layer {rank(a)} imports layer {rank(b)})")
            if a.startswith("recovery.figures.") and b.startswith("recovery.figures."):
                bad.append(f"{a} -> {b} (a page imports another page)")
            if rank(a) == 1 and a.startswith("recovery.core") and b.startswith("recovery.related"):
                bad.append(f"{a} -> {b} (core imports related)")
    return bad


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every back edge of a depth-first search, as the cycle it closes (the package root is not a node)."""
    out, seen, stack = [], set(), []

    def visit(v: str) -> None:
        seen.add(v)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w == "recovery":
                continue
            if w in stack:
                out.append(stack[stack.index(w) :] + [w])
            elif w not in seen:
                visit(w)
        stack.pop()

    for v in sorted(graph):
        if v not in seen and v != "recovery":
            visit(v)
    return out


def test_imports_follow_the_layers():
    assert layer_violations(GRAPH) == []


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_every_layer_exists_and_holds_modules():
    for prefix in (
        "recovery.core",
        "recovery.related",
        "recovery.experiments",
        "recovery.figures",
        "recovery.plots",
    ):
        assert any(m.startswith(prefix + ".") for m in MODULES), prefix


@pytest.mark.parametrize(
    "edge, expected",
    [
        (("recovery.core.theory", "recovery.plots.common"), "layer 1 imports layer 5"),
        (("recovery.figures.fig7", "recovery.figures.fig2"), "a page imports another page"),
        (("recovery.core.models", "recovery.related.rank"), "core imports related"),
        (("recovery.figures.fig2", "recovery.plots.fig2"), "layer 4 imports layer 5"),
    ],
)
def test_the_checks_catch_a_wrong_import(edge, expected):
    a, b = edge
    graph = {m: set(t) for m, t in GRAPH.items()}
    graph[a].add(b)
    assert any(expected in line for line in layer_violations(graph))


def test_the_cycle_check_catches_a_lazy_cycle():
    graph = {m: set(t) for m, t in GRAPH.items()}
    graph["recovery.core.models"].add("recovery.core.theory")  # theory imports models: a cycle
    assert any(c[0] == c[-1] for c in cycles(graph))
