"""``shequn report onboarding|points|sla``."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Annotated, Any

import typer

from bot.cli.base import ConfigOption, load, prepared, report_cli, run_async, setup_logging
from bot.settings import Settings
from handlers.i18n import Catalog
from handlers.reach import why_undelivered


@report_cli.command("onboarding")
def report_onboarding(
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="how far back joins count")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """The newcomer funnel of every group: joined, welcomed, activated within 3/7/14 days, left."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    reports = run_async(_onboarding_report(settings, days), config)
    if as_json:
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))
        return
    # Why a step did not reach a member, in the community's words (the JSON keeps codes).
    texts = Catalog.load().for_language(settings.community.language)
    for report in reports:
        total = report["funnel"]["total"]
        typer.echo(
            f"{report['title']} ({report['platform']} {report['chat_id']}), last {days} days"
        )
        if not total["joined"]:
            typer.echo("  nobody joined")
            continue
        typer.echo(f"  joined    {total['joined']}")
        typer.echo(f"  welcomed  {total['welcomed']} ({total['welcomed_percent']}%)")
        for span, count in total["activated"].items():
            percent = total["activated_percent"][span]
            typer.echo(f"  activated within {span:>3}  {count} ({percent}%)")
        typer.echo(f"  left      {total['left']} ({total['left_percent']}%)")
        for step, row in report["reach"].items():
            reasons = ", ".join(
                f"{why_undelivered(texts, code)} {count}" for code, count in row["reasons"].items()
            )
            typer.echo(
                f"  step {step}: privately {row['private']}, in the group {row['group']}, "
                f"not reached {row['missed']}" + (f" ({reasons})" if reasons else "")
            )
        for week, row in report["funnel"]["cohorts"].items():
            typer.echo(
                f"  week of {week}: joined {row['joined']}, activated within 14d "
                f"{row['activated']['14d']} ({row['activated_percent']['14d']}%)"
            )


async def _onboarding_report(settings: Settings, days: int) -> list[dict]:
    from handlers.desk import community_groups
    from handlers.onboarding.flow import STEP_KIND
    from handlers.onboarding.funnel import compute_funnel, compute_reach

    async with prepared(settings, reads=True) as app:
        since = app.clock.now() - timedelta(days=days)
        reports = []
        async with app.storage.transaction() as repos:
            for chat in await community_groups(repos, settings.staff, one_to_one=True):
                members = await repos.members.onboarding_since(since, chat.id)
                funnel = compute_funnel(members, since, app.community.timezone)
                outcomes = await repos.deliveries.outcomes(chat.id, since, STEP_KIND, "private")
                reach = compute_reach(outcomes, STEP_KIND)
                reports.append(
                    {
                        "chat_id": chat.external_id,
                        "platform": chat.platform,
                        "title": chat.title,
                        "onboarding_enabled": chat.onboarding_enabled,
                        "funnel": funnel.as_dict(),
                        "reach": {step: row.as_dict() for step, row in reach.items()},
                    }
                )
        return reports


@report_cli.command("points")
def report_points(
    config: ConfigOption = None,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="how many weeks back")] = 4,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV rows instead of a summary")] = False,
) -> None:
    """Top earners, points issued per rule per week, and redemptions."""
    from bot.points_report import points_report, print_report, write_csv

    settings = load(config)
    setup_logging(settings, quiet=True)
    report = run_async(_points_report(settings, weeks, points_report), config)
    if as_csv:
        write_csv(report, sys.stdout)
    else:
        print_report(report, typer.echo)


async def _points_report(settings: Settings, weeks: int, build: Any) -> Any:
    async with prepared(settings, reads=True) as app, app.storage.transaction() as repos:
        now = app.clock.now()
        return await build(repos, now - timedelta(weeks=weeks), app.community.timezone)


@report_cli.command("sla")
def report_sla(
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="how far back tickets count")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """First-response and resolution times (median, p90), breaches, satisfaction and the
    share answered within 2 and 24 hours, by severity and by week (minutes; — where
    there is nothing to measure yet)."""
    from handlers.escalation.report import percent, shown

    settings = load(config)
    setup_logging(settings, quiet=True)
    report = run_async(_sla_report(settings, days), config)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    if not report["by_severity"]:
        typer.echo(f"no tickets in the last {days} days")
        return
    for title, rows in (("by severity", report["by_severity"]), ("by week", report["by_week"])):
        typer.echo(title + ":")
        for key, row in rows.items():
            tickets = "ticket " if row["tickets"] == 1 else "tickets"
            typer.echo(
                f"  {key:<9} {row['tickets']:>4} {tickets}  first response median "
                f"{shown(row['first_response_median'])} p90 "
                f"{shown(row['first_response_p90'])}  resolution median "
                f"{shown(row['resolution_median'])}  breaches {row['breaches']}  "
                f"satisfaction {shown(row['satisfaction'])}  answered within 2 h "
                f"{percent(row['answered_2h'])}, 24 h {percent(row['answered_24h'])}"
            )


async def _sla_report(settings: Settings, days: int) -> dict[str, Any]:
    from handlers.escalation.report import by_severity, by_week

    async with prepared(settings, reads=True) as app, app.storage.transaction() as repos:
        now = app.clock.now()
        tickets = await repos.tickets.since(now - timedelta(days=days))
        zone = app.community.timezone
    return {
        "by_severity": {k: v.as_dict() for k, v in by_severity(tickets, now).items()},
        "by_week": {k: v.as_dict() for k, v in by_week(tickets, zone, now).items()},
    }
