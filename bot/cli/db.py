"""``shequn db upgrade``."""

from __future__ import annotations

import typer

from bot import startup
from bot.cli.base import ConfigOption, db_cli, load, run_async, setup_logging
from bot.settings import Settings
from storage.migrate import current_revision

#: How an empty database's revision is shown.
NO_REVISION = "0000"


@db_cli.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply database migrations (also done automatically at start), saying what was done."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    before, after, database = run_async(_upgrade(settings), config)
    if before == after:
        typer.echo(f"already at {after} ({database})")
    else:
        typer.echo(f"migrated {before or NO_REVISION} → {after} ({database})")


async def _upgrade(settings: Settings) -> tuple[str | None, str | None, str]:
    app = startup.build(settings)
    engine = app.storage.engine
    try:
        before = await startup.using_database(app, lambda: current_revision(engine))
        await startup.prepare(app, retry=False)
        after = await current_revision(engine)
    finally:
        await app.close()
    return before, after, engine.url.render_as_string(hide_password=True)
