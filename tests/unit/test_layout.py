"""The package layout holds: pure blocks, effect-only core, drivers on top, and no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import dynamorm_py

PACKAGE = "dynamorm_py"
ROOT = Path(dynamorm_py.__file__).parent

# What an operation in the core may not reach: a driver, a client library, a clock, a thread or a loop.
CORE_FORBIDDEN = (
    "dynamorm_py._drivers",
    "dynamorm_py.table",
    "dynamorm_py.update_builder",
    "boto3",
    "botocore",
    "threading",
    "asyncio",
    "concurrent.futures",
    "time",
)
CORE_ALLOWED = ("botocore.exceptions",)
BLOCKS_FORBIDDEN = ("dynamorm_py._core", "dynamorm_py._drivers")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _imports(name: str) -> list[str]:
    """Every module ``name`` imports, anywhere in its body (functions and TYPE_CHECKING blocks included).

    ``from package import name`` counts as importing ``package.name`` when that is a module.
    """
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append(target)
            submodules = (f"{target}.{alias.name}" for alias in node.names)
            found.extend(module for module in submodules if module in MODULES)
    return found


def _matches(imported: str, prefixes: tuple[str, ...]) -> bool:
    return any(imported == p or imported.startswith(p + ".") for p in prefixes)


def test_core_and_blocks_import_only_what_their_layer_allows() -> None:
    violations = []
    for name in MODULES:
        if name.startswith(f"{PACKAGE}._core"):
            forbidden = [
                i for i in _imports(name) if _matches(i, CORE_FORBIDDEN) and not _matches(i, CORE_ALLOWED)
            ]
        elif name.startswith(f"{PACKAGE}._blocks"):
            forbidden = [i for i in _imports(name) if _matches(i, BLOCKS_FORBIDDEN)]
        else:
            continue
        violations.extend(f"{name} imports {i}" for i in forbidden)
    assert MODULES, "no modules found"
    assert not violations, "\n".join(violations)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name in MODULES:
        edges = set()
        for imported in _imports(name):
            # The module itself, or the closest enclosing package module it names (outside modules: none).
            target = imported
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycles() -> None:
    graph = _graph()
    assert f"{PACKAGE}._blocks.codec" in graph[f"{PACKAGE}._core.items"]  # the graph sees real imports
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_find_cycle_reports_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_architecture_page_lists_every_module() -> None:
    # docs/architecture.md is how a newcomer finds their way; a module missing from its tree is a module
    # nobody was told about.
    docs = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = Path(__file__).resolve().parents[2] / "src" / "dynamorm_py"
    missing = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if path.name != "__init__.py" or path.parent == package
        if path.name not in docs
    ]
    assert missing == []
