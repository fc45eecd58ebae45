"""The channel hub: every action goes to the channel of its target, degraded to what
that channel can do; an action for a platform with no channel fails alone."""

from __future__ import annotations

from markupsafe import Markup

from bot.channels.hub import ChannelHub
from handlers.actions import (
    Action,
    AnswerButton,
    Button,
    NotifyStaff,
    Receipt,
    SendMessage,
    SendPrivate,
    receipt_for,
)
from handlers.capabilities import Capabilities
from handlers.desk import DeskSettings
from handlers.events import ChatKind, ChatRef, UserRef
from handlers.i18n import Catalog

TEXTS = Catalog.load().for_language("zh")
DESK = DeskSettings(chat="telegram:-100900")
WECHAT_MEMBER = UserRef("wechat", "wmABC", "小王")
TELEGRAM_GROUP = ChatRef("telegram", "-100123", ChatKind.GROUP, "社群")
WECHAT_GROUP = ChatRef("wechat", "wrGROUP", ChatKind.GROUP, "客户群")


class Recorder:
    """A channel that records what it was asked to carry out."""

    def __init__(self, name: str, capabilities: Capabilities) -> None:
        self.name, self.capabilities = name, capabilities
        self.done: list[Action] = []

    async def execute(self, actions: list[Action]) -> list[Receipt]:
        self.done.extend(actions)
        receipts = [receipt_for(action, None) for action in actions]
        return [receipt for receipt in receipts if receipt is not None]


def channels() -> tuple[Recorder, Recorder, ChannelHub]:
    telegram = Recorder("telegram", Capabilities(invite_links=True))
    wechat = Recorder("wechat", Capabilities(group_messages=False, buttons=False, edit=False))
    return telegram, wechat, ChannelHub([telegram, wechat], DESK, TEXTS)


async def test_each_action_goes_to_the_channel_of_its_target() -> None:
    telegram, wechat, hub = channels()
    answer = SendPrivate(user=WECHAT_MEMBER, text=Markup("客服回复：已退款"))
    card = NotifyStaff(text=Markup("新工单 #1"))
    await hub.deliver([answer, card], source="wechat")
    assert [type(a) for a in telegram.done] == [NotifyStaff]  # the staff chat is on Telegram
    assert [type(a) for a in wechat.done] == [SendPrivate]
    await hub.deliver([AnswerButton(press_id="p1")], source="telegram")
    assert isinstance(telegram.done[-1], AnswerButton)  # answered where it was pressed


async def test_actions_are_degraded_for_their_target_channel_only() -> None:
    telegram, wechat, hub = channels()
    buttons = ((Button("👍", "faq:up:1"), Button("👎", "faq:down:1")),)
    to_member = SendPrivate(user=WECHAT_MEMBER, text=Markup("答案"), buttons=buttons)
    to_group = SendMessage(chat=TELEGRAM_GROUP, text=Markup("答案"), buttons=buttons)
    await hub.deliver([to_member, to_group])
    [sent] = wechat.done
    assert isinstance(sent, SendPrivate) and not sent.buttons and "👍" in str(sent.text)
    [posted] = telegram.done
    assert isinstance(posted, SendMessage) and posted.buttons == buttons


async def test_what_a_channel_cannot_do_becomes_a_staff_task_on_the_staff_channel() -> None:
    telegram, wechat, hub = channels()
    await hub.deliver([SendMessage(chat=WECHAT_GROUP, text=Markup("周末话题"))], source="wechat")
    assert wechat.done == []
    [task] = telegram.done
    assert isinstance(task, NotifyStaff) and "周末话题" in str(task.text)


async def test_an_action_for_a_platform_without_a_channel_fails_alone() -> None:
    telegram, _, hub = channels()
    sandbox_chat = ChatRef("sandbox", "sandbox-group", ChatKind.GROUP)
    lost = SendMessage(chat=sandbox_chat, text=Markup("欢迎"), deliveries=(7,))
    kept = SendMessage(chat=TELEGRAM_GROUP, text=Markup("欢迎"), deliveries=(8,))
    receipts = await hub.deliver([lost, kept])
    by_delivery = {receipt.deliveries: receipt for receipt in receipts}
    assert not by_delivery[(7,)].ok and "sandbox" in (by_delivery[(7,)].error or "")
    assert by_delivery[(8,)].ok and telegram.done == [kept]


async def test_an_announcement_nobody_could_see_still_closes_its_delivery() -> None:
    _, wechat, hub = channels()
    community = ChatRef("wechat", "kf:wk1", ChatKind.SERVICE, "微信客服")
    [receipt] = await hub.deliver(
        [SendMessage(chat=community, text=Markup("周末话题"), deliveries=(9,))]
    )
    assert not receipt.ok and receipt.error == "nobody_to_see_it" and receipt.deliveries == (9,)
    assert wechat.done == []
