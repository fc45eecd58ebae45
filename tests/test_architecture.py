"""Structural rules: dependencies point one way, platforms stay at the edge,
SQL stays in storage, nothing happens at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_LIBRARIES = {"telegram", "wechatpy"}


def imports_of(package: str) -> dict[Path, set[str]]:
    found: dict[Path, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[path] = names
    return found


def top_levels(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("package", ["handlers", "faq", "storage"])
def test_core_never_imports_a_platform_or_the_composition_root(package: str) -> None:
    for path, names in imports_of(package).items():
        forbidden = top_levels(names) & (PLATFORM_LIBRARIES | {"bot"})
        assert not forbidden, f"{path.relative_to(ROOT)} imports {forbidden}"


@pytest.mark.parametrize(
    ("package", "banned"), [("storage", {"handlers"}), ("faq", {"handlers", "storage"})]
)
def test_dependencies_point_one_way(package: str, banned: set[str]) -> None:
    for path, names in imports_of(package).items():
        assert not top_levels(names) & banned, f"{path.relative_to(ROOT)} imports {names & banned}"


def test_sql_is_written_only_in_storage() -> None:
    sql_builders = {"select", "insert", "update", "delete", "text"}
    for package in ("handlers", "faq", "bot"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module in (
                    "sqlalchemy",
                    "sqlalchemy.sql",
                ):
                    used = {alias.name for alias in node.names} & sql_builders
                    assert not used, f"{path.relative_to(ROOT)} builds SQL with {used}"


def test_importing_every_module_creates_nothing(tmp_path: Path) -> None:
    """No files, connections or loggers configured at import: all is built by build_app()."""
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for package in ("bot", "handlers", "faq", "storage")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path.name != "__main__.py"
    )
    script = (
        "import importlib, logging, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "assert not logging.getLogger().handlers, 'logging configured at import'\n"
    )
    subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, check=True, env={"PYTHONPATH": str(ROOT)}
    )
    assert list(tmp_path.iterdir()) == []


def test_handlers_can_only_know_platform_facts_never_call_a_platform() -> None:
    """Handlers run inside the update's transaction: what they get of the platform has no
    coroutine to await, and the one place that asks the platform (admin lists, for roles)
    is the dispatcher, before the transaction opens."""
    import inspect

    from handlers.context import Offline, PlatformFacts

    awaitable = [
        name
        for name, member in inspect.getmembers(PlatformFacts)
        if inspect.iscoroutinefunction(member)
    ]
    assert awaitable == []
    assert not any(inspect.iscoroutinefunction(m) for _, m in inspect.getmembers(Offline))
    for path in (ROOT / "handlers").rglob("*.py"):
        calls = {
            node.func.attr
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        }
        asked = calls & {"is_chat_admin", "create_invite_link", "create_chat_invite_link"}
        if path.name != "dispatcher.py":
            assert not asked, f"{path.relative_to(ROOT)} calls the platform: {asked}"


def test_the_dispatcher_asks_the_platform_before_the_transaction() -> None:
    source = (ROOT / "handlers" / "dispatcher.py").read_text("utf-8")
    handle = source[source.index("    async def handle(") : source.index("    async def _record(")]
    assert handle.index("await self._roles(") < handle.index("await self.storage.run(")
