"""The layering of DESIGN.md, read from the source with ``ast`` (nothing imported).

- cores (the codec, the message sets, fusion, events, broadcast, security's verifier and
  signer) import no edge, wiring or CLI module, nor a device library, anywhere in a module
  (names imported for mypy only, under ``if TYPE_CHECKING:``, import nothing and are left out);
- no import circles among the modules of ``rsu`` (module-level imports, outside
  ``if TYPE_CHECKING:``; a submodule naming its own parent package is how packages work);
- the names of the message sets are string literals only in their own packages and in the
  registry: everything else asks ``rsu.registry``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

from rsu.registry import MESSAGE_SETS

ROOT = Path(__file__).resolve().parents[1]
RSU = ROOT / "rsu"
CORES = (
    "rsu.v2x",
    "rsu.j2735",
    "rsu.csae53",
    "rsu.fusion",
    "rsu.events",
    "rsu.broadcast",
    "rsu.security.verify",
    "rsu.security.sign",
)
EDGES = (
    "rsu.radio",
    "rsu.gnss",
    "rsu.perception",
    "rsu.sensors",
    "rsu.uplink",
    "rsu.management",
    "rsu.daemon",
    "rsu.cli",
    "serial",
    "cv2",
    "onnxruntime",
    "paho",
    "can",
    "pysnmp",
)
SET_HOMES = (*(f"rsu.{name}" for name in MESSAGE_SETS), "rsu.registry")


@cache
def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(RSU.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _names(node: ast.stmt, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        base = _absolute(node, module, is_package)
        return [base, *(f"{base}.{a.name}" for a in node.names)]
    return []


def all_imports(module: str) -> set[str]:
    """Every module named by an import anywhere in ``module`` (lazy ones in functions too),
    except under ``if TYPE_CHECKING:``: those name a type for mypy and import nothing."""
    path = modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and id(node) not in typing_only:
            found.update(_names(node, module, path.name == "__init__.py"))
    return found


def top_imports(module: str) -> set[str]:
    """The ``rsu`` modules ``module`` imports when it is imported (parents of each included)."""
    path = modules()[module]
    is_package = path.name == "__init__.py"
    named: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            else:
                named.update(_names(node, module, is_package))

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    out = set()
    for name in named:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            own_parent = module.startswith(prefix + ".")
            if prefix in modules() and prefix != module and not own_parent:
                out.add(prefix)
    return out


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_cores_import_no_edge_wiring_or_cli() -> None:
    bad = [
        f"{module} imports {name}"
        for module in modules()
        if _within(module, CORES)
        for name in sorted(all_imports(module))
        if _within(name, EDGES)
    ]
    assert bad == []


def test_no_import_circles() -> None:
    graph = {m: top_imports(m) for m in modules()}
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                circles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                walk(dep)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)
    assert circles == []


def _literals(path: Path) -> list[tuple[int, str]]:
    """String constants equal to a message set's name (docstrings are prose, not code)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and node.value in MESSAGE_SETS
        and id(node) not in docstrings
    ]


def test_message_set_names_only_in_their_packages_and_the_registry() -> None:
    found = [
        f"{module}:{line}: {value!r}"
        for module, path in modules().items()
        if not _within(module, SET_HOMES)
        for line, value in _literals(path)
    ]
    found += [
        f"hil/{path.name}:{line}: {value!r}"
        for path in sorted((ROOT / "hil").rglob("*.py"))
        for line, value in _literals(path)
    ]
    assert found == []


def test_the_literal_check_sees_a_name_in_code(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text('"""The csae53 set."""\nSTANDARD = "csae53"\n', encoding="utf-8")
    assert _literals(probe) == [(2, "csae53")]


def test_the_layering_checks_see_imports() -> None:
    assert "rsu.registry" in top_imports("rsu.v2x.framing")
    assert "rsu.v2x.codec" in all_imports("rsu.csae53.plugin")  # a lazy import counts
    assert "rsu.v2x.messageset" not in top_imports("rsu.registry")  # under TYPE_CHECKING
    assert "rsu.v2x.messageset" not in all_imports("rsu.registry")


def test_a_config_with_a_csae53_table_imports_neither_paho_nor_the_daemon(
    tmp_path: Path,
) -> None:
    config = tmp_path / "rsu.toml"
    config.write_text(
        '[rsu]\nid = "r1"\nstandard = "csae53"\n\n[csae53]\nrsi_interval_ms = 500\n',
        encoding="utf-8",
    )
    script = (
        "import sys\n"
        "from rsu.config.loader import load_config\n"
        f"cfg = load_config({str(config)!r})\n"
        "from rsu.registry import message_set\n"
        "section = message_set(cfg.rsu.standard).section_of(cfg)\n"
        "assert section.rsi_interval_ms == 500, section\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'paho'"
        " or m.startswith('rsu.daemon'))\n"
        "print(bad)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"
