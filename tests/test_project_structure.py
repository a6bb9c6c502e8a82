"""The project's shape: no import circles between its modules (counting imports inside functions,
which only postpone a circle) and no source file longer than one person can hold in mind."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
SKIPPED = {".venv", "var", "node_modules", "migrations", "__pycache__", ".git"}


def project_sources() -> dict[str, Path]:
    """Module name -> file, for every package at the top of the repository (tests included)."""
    modules = {}
    for package in sorted(p for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in SKIPPED):
        for path in package.rglob("*.py"):
            if SKIPPED & set(path.relative_to(ROOT).parts):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    for path in ROOT.glob("*.py"):
        modules[path.stem] = path
    return modules


def _resolve(name: str, modules: dict) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict) -> set[str]:
    """The project modules ``module`` imports anywhere in its body, except under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text())
    skipped = {id(node) for top in ast.walk(tree) if isinstance(top, ast.If) and "TYPE_CHECKING" in ast.unparse(top.test)
               for node in ast.walk(top)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {_resolve(alias.name, modules) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join(package + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else _resolve(base, modules))
    found.discard(None)
    found.discard(module)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import():
    """The detector itself: a circle closed by an import inside a function is still a circle."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_a_lazy_import_counts(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text("import os\n\ndef f():\n    from pkg import other\n")
    modules = {"pkg.mod": source, "pkg.other": source, "pkg": source}
    assert imports_of("pkg.mod", source, modules) == {"pkg.other"}


def test_no_import_circles_anywhere_in_the_project():
    modules = project_sources()
    assert "labs.engine.runner" in modules and "own_account.guardrails" in modules  # it looks where the code is
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    cycles = import_cycles(graph)
    described = ["; ".join(f"{a} -> {', '.join(sorted(graph[a] & set(cycle)))}" for a in cycle) for cycle in cycles]
    assert not cycles, "Import circles:\n" + "\n".join(described)


def test_no_source_file_is_over_400_lines():
    long = {str(path.relative_to(ROOT)): count for path in project_sources().values()
            if (count := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"Split these by concern (over {MAX_LINES} lines): {long}"


def test_the_models_and_their_migrations_agree(db):
    """A model change without its migration (even a help text) would surprise the next `migrate`."""
    import io

    import pytest
    from django.core.management import call_command

    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"Missing migrations (exit {exit_.code}):\n{out.getvalue()}")
