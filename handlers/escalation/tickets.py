"""The ticket loop, assembled: complaints come in (:mod:`intake`), staff act on them
(:mod:`desk`), and both look at them (:mod:`views`). The member rates the answer;
the response-time targets are watched by :mod:`sla`.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.escalation.desk import Desk
from handlers.escalation.intake import Intake
from handlers.escalation.settings import EscalationSettings
from handlers.escalation.views import TicketViews


@dataclass(frozen=True, slots=True)
class Tickets:
    intake: Intake
    desk: Desk
    views: TicketViews

    @classmethod
    def build(cls, config: EscalationSettings) -> Tickets:
        intake = Intake(config)
        return cls(intake=intake, desk=Desk(config, intake), views=TicketViews())
