"""``shequn points verify``."""

from __future__ import annotations

import typer

from bot.cli.base import ConfigOption, load, points_cli, prepared, run_async, setup_logging
from bot.settings import Settings


@points_cli.command("verify")
def points_verify(config: ConfigOption = None) -> None:
    """Recompute every balance from the ledger and report any difference (exit 1 if any)."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    differences, accounts = run_async(_points_verify(settings), config)
    for (chat_id, user_id), (stored, derived) in sorted(differences.items()):
        typer.echo(f"chat {chat_id} user {user_id}: balance {stored}, ledger says {derived}")
    if differences:
        typer.echo(f"{len(differences)} of {accounts} balances differ from the ledger", err=True)
        raise typer.Exit(1)
    typer.echo(f"all {accounts} balances match the ledger")


async def _points_verify(settings: Settings) -> tuple[dict, int]:
    async with prepared(settings, reads=True) as app, app.storage.transaction() as repos:
        derived = await repos.points.ledger_sums()
        stored = await repos.points.balances()
    differences = {
        key: (stored.get(key, 0), derived.get(key, 0))
        for key in set(derived) | set(stored)
        if stored.get(key, 0) != derived.get(key, 0)
    }
    return differences, len(set(derived) | set(stored))
