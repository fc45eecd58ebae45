"""Points, levels and badges: a fair, explainable community economy."""

from __future__ import annotations

from handlers.commands import member, number, text, word
from handlers.events import ButtonPressed, MemberJoined, MessagePosted, ReactionAdded
from handlers.points.commands import PointsCommands
from handlers.points.economy import Economy, Participation
from handlers.points.invites import INVITE_TAG, Invitations, InviteSettlement
from handlers.points.rewards import Rewards
from handlers.points.rules import EarningRules
from handlers.points.settings import PointsSettings
from handlers.roles import Role
from handlers.router import GROUP_ONLY, Router, declare


def register(router: Router, economy: Economy, participation: Participation | None) -> None:
    rules = EarningRules(economy, participation)
    commands = PointsCommands(economy)
    rewards = Rewards(economy)
    invitations = Invitations(economy)
    router.on(MemberJoined, invitations.on_join, priority=110, name="points.invite")
    router.on_receipt(INVITE_TAG, invitations.on_link)
    # After onboarding's activation (10), before FAQ replies (800); never exclusive.
    router.on(MessagePosted, rules.on_message, priority=20, name="points.message")
    router.on(ReactionAdded, rules.on_reaction, priority=20, name="points.reaction")
    router.on(
        ButtonPressed,
        rewards.on_button,
        priority=120,
        name="points.redeem",
        exclusive=True,
        work_rooms=True,
    )
    period = word("period", optional=True, choices=("all", "week", "month"), aliases=PERIOD_ALIASES)
    # The amount's range depends on the configured maximum: the command explains it.
    adjust = (member(), number("amount", minimum=None), text("reason"))
    for declared in (
        declare("checkin", rules.checkin, where=GROUP_ONLY),
        declare("points", commands.points, where=GROUP_ONLY),
        declare("top", commands.top, where=GROUP_ONLY, args=(period,)),
        declare("badges", commands.badges, where=GROUP_ONLY, args=(member(optional=True),)),
        declare("rewards", rewards.catalogue),
        # A reward's name may have spaces (10 元优惠券): the rest of the line names it.
        declare("redeem", rewards.redeem, where=GROUP_ONLY, args=(text("reward"),)),
        declare("invite", invitations.invite, where=GROUP_ONLY, needs="invite_links"),
        declare("helpful", rules.helpful, Role.MODERATOR, where=GROUP_ONLY),
        declare("givepoints", commands.give, Role.MODERATOR, where=GROUP_ONLY, args=adjust),
        declare("takepoints", commands.take, Role.MODERATOR, where=GROUP_ONLY, args=adjust),
        declare("pointslog", commands.log, Role.MODERATOR, where=GROUP_ONLY, args=(member(),)),
        # A badge's name may have spaces (社区 MVP): quoted, or the rest of the line.
        declare("grantbadge", commands.grant_badge, Role.MODERATOR, where=GROUP_ONLY,
                args=(member(), word("badge"), text("reason"))),
        declare("revokebadge", commands.revoke_badge, Role.MODERATOR, where=GROUP_ONLY,
                args=(member(), text("badge"))),
    ):  # fmt: skip
        router.command(declared)


#: How people ask for this week's or this month's leaderboard.
PERIOD_ALIASES = {"全部": "all", "总": "all", "周": "week", "本周": "week", "月": "month",
                  "本月": "month"}  # fmt: skip


__all__ = ["Economy", "InviteSettlement", "PointsSettings", "register"]
