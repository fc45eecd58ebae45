"""``shequn accounts linked|unlink|export|forget``: who is one person on several
platforms, an operator's way to separate accounts (a member who lost access to one of
them), and a member's data on request: all of it as JSON, or anonymised everywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.base import (
    ConfigOption,
    accounts_cli,
    load,
    parse_account,
    prepared,
    run_async,
    setup_logging,
)
from bot.settings import Settings
from storage.records import EventRecord, UserRecord

AUDIT_KINDS = ("account_linked", "account_unlinked")


def _name(user: UserRecord) -> str:
    return f"{user.platform}:{user.external_id} ({user.display_name})"


@accounts_cli.command("linked")
def accounts_linked(
    config: ConfigOption = None,
    last: Annotated[int, typer.Option(min=0, max=1000, help="audit entries to show")] = 20,
) -> None:
    """Every person with linked accounts, then the latest links and unlinks (who, when)."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    people, audit, names = run_async(_linked(settings, last), config)
    if not people:
        typer.echo("no linked accounts")
    for accounts in people:
        first, *others = accounts
        typer.echo(f"{_name(first)} = " + " = ".join(_name(a) for a in others))
    if audit:
        typer.echo("latest changes:")
    zone = settings.community.timezone
    for entry in audit:
        when = entry.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        who = names.get(entry.user_id or 0, "?")
        person = names.get(int(entry.payload.get("person", 0)), "?")
        if entry.kind == "account_linked":
            moved = entry.payload.get("points_moved", 0)
            typer.echo(f"  {when} {who} linked to {person} ({moved} points moved)")
        else:
            by = entry.payload.get("by")
            actor = "an operator" if by == "operator" else names.get(int(by or 0), "?")
            typer.echo(f"  {when} {who} unlinked from {person} by {actor}")


async def _linked(
    settings: Settings, last: int
) -> tuple[list[list[UserRecord]], list[EventRecord], dict[int, str]]:
    async with prepared(settings, reads=True) as app, app.storage.transaction() as repos:
        people = await repos.links.people()
        audit = sorted(
            [e for kind in AUDIT_KINDS for e in await repos.events.recent(kind=kind, limit=last)],
            key=lambda e: e.id,
            reverse=True,
        )[:last]
        ids = {e.user_id for e in audit if e.user_id} | {
            int(value)
            for e in audit
            for key in ("person", "by")
            if str(value := e.payload.get(key, "")).isdigit()
        }
        names = {}
        for user_id in ids:
            user = await repos.users.get_by_id(user_id)
            if user is not None:
                names[user_id] = _name(user)
    return people, audit, names


@accounts_cli.command("unlink")
def accounts_unlink(
    account: Annotated[str, typer.Argument(help="the account, as platform:id (telegram:123)")],
    config: ConfigOption = None,
) -> None:
    """Separate an account from the person it is linked to (recorded as an operator's act)."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    platform, external_id = parse_account(account)
    found, others = run_async(_unlink(settings, platform, external_id), config)
    if found is None:
        typer.echo(f"no account {account} is known", err=True)
        raise typer.Exit(1)
    if not others:
        typer.echo(f"{_name(found)} is not linked to any other account")
        return
    typer.echo(f"{_name(found)} unlinked from " + ", ".join(_name(a) for a in others))


async def _unlink(
    settings: Settings, platform: str, external_id: str
) -> tuple[UserRecord | None, list[UserRecord]]:
    from handlers.linking import unlink

    async with prepared(settings) as app, app.storage.transaction() as repos:
        user = await repos.users.get(platform, external_id)
        if user is None:
            return None, []
        return user, await unlink(repos, user, datetime.now(UTC), by=None)


AccountArgument = Annotated[str, typer.Argument(help="the account, as platform:id (telegram:123)")]


@accounts_cli.command("export")
def accounts_export(
    account: AccountArgument,
    out: Annotated[
        Path | None, typer.Option(help="write the JSON to this file (default: print it)")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Everything kept about a member (every linked account), as JSON: a data request."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    platform, external_id = parse_account(account)
    data = run_async(_export(settings, platform, external_id), config)
    if data is None:
        typer.echo(f"no account {account} is known", err=True)
        raise typer.Exit(1)
    written = json.dumps(data, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(written)
        return
    try:
        out.write_text(written + "\n", encoding="utf-8")
    except OSError as error:
        typer.echo(f"cannot write {out}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"written to {out}")


async def _export(settings: Settings, platform: str, external_id: str) -> dict[str, Any] | None:
    from handlers.privacy import export

    async with prepared(settings, reads=True) as app, app.storage.transaction() as repos:
        user = await repos.users.get(platform, external_id)
        return None if user is None else await export(repos, user.id)


@accounts_cli.command("forget")
def accounts_forget(
    account: AccountArgument,
    yes: Annotated[bool, typer.Option("--yes", help="do it without asking")] = False,
    config: ConfigOption = None,
) -> None:
    """Anonymise a member everywhere (every linked account): a deletion request."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    platform, external_id = parse_account(account)
    if not yes and not typer.confirm(
        f"Forget {account} and every account linked to it? This cannot be undone"
    ):
        raise typer.Exit(1)
    done = run_async(_forget(settings, platform, external_id), config)
    if done is None:
        typer.echo(f"no account {account} is known", err=True)
        raise typer.Exit(1)
    changed = ", ".join(f"{name} {count}" for name, count in done.items())
    typer.echo(f"forgotten: {changed}")


async def _forget(settings: Settings, platform: str, external_id: str) -> dict[str, int] | None:
    from handlers.privacy import forget

    async with prepared(settings) as app, app.storage.transaction() as repos:
        user = await repos.users.get(platform, external_id)
        if user is None:
            return None
        return await forget(repos, user.id, datetime.now(UTC), by="operator")
