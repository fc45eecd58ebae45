"""The ``shequn`` command line: one Typer app (:mod:`bot.cli.base`), a module per
command group. Importing the modules registers their commands."""

from __future__ import annotations

import sys

from bot.cli import accounts, complaints, console, db, faq, points, reports, run, topics
from bot.cli.base import cli

__all__ = [
    "accounts",
    "cli",
    "complaints",
    "console",
    "db",
    "faq",
    "main",
    "points",
    "reports",
    "run",
    "topics",
]


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
