"""What every page of the console beside the desk is: a part of the site with its
own routes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from starlette.routing import Route

if TYPE_CHECKING:
    from bot.web.console.site import ConsoleSite


class Section(ABC):
    def __init__(self, site: ConsoleSite) -> None:
        self.site = site

    @abstractmethod
    def routes(self) -> list[Route]:
        """The page's routes, mounted under ``/console/``."""
