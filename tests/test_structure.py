"""The code's shape: no import cycles between the project's modules, and the inbox's module
map (its package docstring) names every module it has."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crypto", "portal", "inbox", "report_form")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports when it runs (imports inside functions count;
    imports only for the type checker do not). ``from . import sub`` depends on ``sub``, not
    on the package's ``__init__``."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in modules:
                    found.add(sub)
                elif source in modules:
                    found.add(source)
    found.discard(name)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def test_the_import_graph_has_no_cycles() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert len(graph) > 60 and graph["inbox.cli"], "the walk found the project's modules"
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_crypto_imports_nothing_from_the_apps() -> None:
    """crypto may use only itself and the question catalogue (report_form)."""
    modules = _modules()
    for name, path in modules.items():
        if name.startswith("crypto"):
            assert all(
                dep.split(".")[0] in ("crypto", "report_form")
                for dep in _imports(name, path, modules)
            ), name


def test_the_question_catalogue_imports_only_the_standard_library() -> None:
    """report_form is data the crypto core validates against: no project module, no
    third-party library (an import from the apps would bring them into crypto)."""
    import sys

    for path in (ROOT / "report_form").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [] if node.level else [node.module or ""]
            else:
                continue
            for imported in names:
                top = imported.split(".")[0]
                assert top == "report_form" or top in sys.stdlib_module_names, (path, imported)


def test_the_inbox_module_map_names_every_module() -> None:
    here = ROOT / "inbox"
    doc = ast.get_docstring(ast.parse((here / "__init__.py").read_text(encoding="utf-8"))) or ""
    present = {p.stem for p in here.glob("*.py") if p.stem != "__init__"} | {
        p.parent.name for p in here.glob("*/__init__.py")
    }
    named = set(re.findall(r"^- ``(\w+)``", doc, flags=re.M))
    assert present == named


def test_the_inbox_imports_nothing_from_the_portal() -> None:
    """The arrow between the apps runs one way: the portal may use the inbox's small pure
    helpers (deadlines, shredding, status labels), the offline inbox never needs the web
    app."""
    modules = _modules()
    for name, path in modules.items():
        if name.startswith("inbox"):
            assert not any(
                dep.startswith("portal") for dep in _imports(name, path, modules)
            ), name
