"""``shequn console link``: a sign-in link printed on the server, for the first sign-in
(or a staff member who cannot reach the bot privately)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli.base import (
    ConfigOption,
    console_cli,
    load,
    parse_account,
    prepared,
    run_async,
    setup_logging,
)
from bot.settings import Settings, console_url


@console_cli.command("link")
def console_link(
    account: Annotated[str, typer.Argument(help="who signs in, as platform:id (telegram:123)")],
    config: ConfigOption = None,
) -> None:
    """Print a one-time sign-in link (10 minutes) for a staff member or moderator."""
    from handlers.console import console_role

    settings = load(config)
    setup_logging(settings, quiet=True)
    base = console_url(settings)
    if base is None:
        typer.echo("the console is switched off (console.enabled = false)", err=True)
        raise typer.Exit(2)
    parse_account(account)
    if console_role(settings.community, account) is None:
        typer.echo(
            f"{account} is neither staff nor a moderator: add it to community.staff "
            "(SHEQUN_COMMUNITY__STAFF) or community.moderators first",
            err=True,
        )
        raise typer.Exit(2)
    typer.echo(run_async(_link(settings, account, base), config))


async def _link(settings: Settings, account: str, base: str) -> str:
    from handlers.console import sign_in_link

    async with prepared(settings) as app, app.storage.transaction() as repos:
        return await sign_in_link(repos, account, datetime.now(UTC), base)
