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

#: What a command that names a member needs of the platform (see Capabilities).
NAMING = "member_mentions"


#: The most characters of a reason for points or a badge (said in the group).
REASON_LONGEST = 200


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
    # A reason is said in the group: a line, not an essay.
    reason = text("reason", longest=REASON_LONGEST)
    adjust = (member(), number("amount", minimum=None), reason)
    for declared in (
        declare("checkin", rules.checkin, where=GROUP_ONLY),
        declare("points", commands.points, where=GROUP_ONLY),
        declare("top", commands.top, where=GROUP_ONLY, args=(period,)),
        declare("badges", commands.badges, where=GROUP_ONLY, args=(member(optional=True),)),
        declare("rewards", rewards.catalogue),
        # A reward's name may have spaces (10 元优惠券): the rest of the line names it.
        declare("redeem", rewards.redeem, where=GROUP_ONLY, args=(text("reward"),)),
        declare("invite", invitations.invite, where=GROUP_ONLY, needs="invite_links"),
        # These name a member (@name, or a reply): nobody to name in a one-to-one chat.
        declare("helpful", rules.helpful, Role.MODERATOR, where=GROUP_ONLY, needs=NAMING),
        declare("givepoints", commands.give, Role.MODERATOR, where=GROUP_ONLY, args=adjust,
                needs=NAMING),
        declare("takepoints", commands.take, Role.MODERATOR, where=GROUP_ONLY, args=adjust,
                needs=NAMING),
        declare("pointslog", commands.log, Role.MODERATOR, where=GROUP_ONLY, args=(member(),),
                needs=NAMING),
        # A badge's name may have spaces (社区 MVP): quoted, or the rest of the line.
        declare("grantbadge", commands.grant_badge, Role.MODERATOR, where=GROUP_ONLY,
                args=(member(), word("badge"), reason), needs=NAMING),
        declare("revokebadge", commands.revoke_badge, Role.MODERATOR, where=GROUP_ONLY,
                args=(member(), text("badge")), needs=NAMING),
    ):  # fmt: skip
        router.command(declared)


#: How people ask for this week's or this month's leaderboard.
PERIOD_ALIASES = {"全部": "all", "总": "all", "周": "week", "本周": "week", "月": "month",
                  "本月": "month"}  # fmt: skip


__all__ = ["Economy", "InviteSettlement", "PointsSettings", "register"]
