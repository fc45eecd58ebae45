"""Points, levels and badges: a fair, explainable community economy."""

from __future__ import annotations

from handlers.events import ButtonPressed, MemberJoined, MessagePosted, ReactionAdded
from handlers.points.commands import PointsCommands
from handlers.points.config import PointsConfig
from handlers.points.economy import Economy, Participation
from handlers.points.invites import Invitations, InviteSettlement
from handlers.points.rewards import Rewards
from handlers.points.rules import EarningRules
from handlers.roles import Role
from handlers.router import GROUP_ONLY, Command, Router


def register(router: Router, economy: Economy, participation: Participation | None) -> None:
    rules = EarningRules(economy, participation)
    commands = PointsCommands(economy)
    rewards = Rewards(economy)
    invitations = Invitations(economy)
    router.on(MemberJoined, invitations.on_join, priority=110, name="points.invite")
    # After onboarding's activation (10), before FAQ replies (800); never exclusive.
    router.on(MessagePosted, rules.on_message, priority=20, name="points.message")
    router.on(ReactionAdded, rules.on_reaction, priority=20, name="points.reaction")
    router.on(ButtonPressed, rewards.on_button, priority=120, name="points.redeem", exclusive=True)
    for command in (
        Command("checkin", rules.checkin, Role.MEMBER, "help.checkin", GROUP_ONLY),
        Command("points", commands.points, Role.MEMBER, "help.points", GROUP_ONLY),
        Command("top", commands.top, Role.MEMBER, "help.top", GROUP_ONLY),
        Command("badges", commands.badges, Role.MEMBER, "help.badges", GROUP_ONLY),
        Command("rewards", rewards.catalogue, Role.MEMBER, "help.rewards"),
        Command("redeem", rewards.redeem, Role.MEMBER, "help.redeem", GROUP_ONLY),
        Command("invite", invitations.invite, Role.MEMBER, "help.invite", GROUP_ONLY),
        Command("helpful", rules.helpful, Role.MODERATOR, "help.helpful", GROUP_ONLY),
        Command("givepoints", commands.give, Role.MODERATOR, "help.givepoints", GROUP_ONLY),
        Command("takepoints", commands.take, Role.MODERATOR, "help.takepoints", GROUP_ONLY),
        Command("pointslog", commands.log, Role.MODERATOR, "help.pointslog", GROUP_ONLY),
        Command("grantbadge", commands.grant_badge, Role.MODERATOR, "help.grantbadge", GROUP_ONLY),
        Command(
            "revokebadge", commands.revoke_badge, Role.MODERATOR, "help.revokebadge", GROUP_ONLY
        ),
    ):
        router.command(command)


__all__ = ["Economy", "InviteSettlement", "PointsConfig", "register"]
