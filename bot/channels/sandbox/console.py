"""The sandbox's terminal: reads what you type, prints what the bot does.

Meta-commands (everything else goes to the bot as a member would type it):
``/as NAME`` type as NAME · ``/join NAME`` · ``/leave NAME`` · ``/dm`` private
chat with the bot · ``/desk`` the staff chat · ``/group`` back to the group ·
``/advance 3d`` move the clock, showing every due moment on the way ·
``/time 10:00`` move the clock to the next 10:00 · ``/press N`` press button N
of the last message with buttons (``/press #M N``: of the bot's message #M) ·
``/promote NAME`` / ``/demote NAME`` group admin · ``/staff`` what the staff
chat received · ``/re N TEXT`` reply to the bot's message #N (a staff card, an
answer) · ``/who`` · ``/sandbox`` this list · ``/quit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as datetime_time
from pathlib import Path
from typing import ClassVar

from markupsafe import Markup, escape

from bot.app import App
from bot.channels.rendering import plain_text
from bot.channels.sandbox.wechat import SandboxWeChat
from bot.channels.sandbox.world import WECHAT, SandboxWorld
from handlers.actions import (
    INVITE_LINK,
    Action,
    AnswerButton,
    Button,
    DeleteMessage,
    EditMessage,
    Keyboard,
    NotifyStaff,
    Receipt,
    RestrictMember,
    SendInviteLink,
    SendMessage,
    SendPrivate,
    Sent,
    receipt_for,
    reply,
)
from handlers.capabilities import private_fallback
from handlers.clock import ManualClock, parse_duration
from handlers.events import ChatKind, ChatRef, Incoming, MessageRef, UserRef
from handlers.topics.titles import title

log = logging.getLogger(__name__)
META_HELP = """沙盒命令 Sandbox commands (everything else is typed into the chat):
  /as 名字 NAME        以某人身份发言 type as NAME
  /join 名字, /leave 名字  入群、退群 NAME joins or leaves the group
  /dm, /desk, /group   私聊机器人、客服群、回到群里 private chat, staff chat, the group
  /wechat 名字 NAME    以微信客服成员身份发言（一对一，48 小时 / 5 条窗口）
                       type as a WeChat member (one to one, WeChat's 48 h / 5-message window)
  /advance 3d          拨快时钟，逐个显示到期的事 move the clock, showing what falls due
  /time 10:00          拨到下一个 10:00 move the clock to the next 10:00
  /press N, /press #M N  点上一条（或第 M 条）消息的第 N 个按钮 press a button
  /promote 名字, /demote 名字  设为或取消管理员 make NAME an admin, or not
  /staff               客服群收到的通知 what the staff chat received
  /re N 内容 TEXT       回复机器人的第 N 条消息 reply to the bot's message #N
  /who, /sandbox, /quit  当前状态、本说明、退出 state, this list, leave"""

#: The sandbox clock moves at most this far in one step: every task says when its next
#: work falls due; this only bounds what a task cannot tell (a card the staff chat
#: refused is tried again on a schedule of its own).
LONGEST_STEP = timedelta(days=1)
#: The most ``/advance`` moves the clock at once: ten years of daily steps.
LONGEST_ADVANCE = timedelta(days=3660)

#: Why a topic slot was not posted.
_NOT_POSTED = {"skipped": "话题池是空的 the pool is empty", "missed": "错过 missed"}

#: Why a topic slot was not posted.
_SKIPPED = {"skipped": "话题池是空的 the pool is empty", "missed": "错过 missed"}

#: A script's comment: "#" then a space (or nothing); "#6 答复" is a line to send.
_COMMENT = re.compile(r"\s*#(\s|$)")


@dataclass
class _Shown:
    """What printing one action amounted to, for its receipt."""

    sent: list[Sent] = field(default_factory=list)
    error: str | None = None
    fell_back: bool = False
    value: str | None = None
    skipped: bool = False


@dataclass
class SandboxConsole:
    app: App
    world: SandboxWorld
    write: Callable[[str], None] = print
    #: What the staff chat received: (the message's number, the notice).
    staff_inbox: list[tuple[str, str]] = field(default_factory=list)
    #: The bot's messages by the number shown, for ``/re N`` and ``/press #N``.
    bot_messages: dict[str, MessageRef] = field(default_factory=dict)
    #: The buttons of each bot message that had some, by its number.
    buttons: dict[str, list[Button]] = field(default_factory=dict)
    #: WeChat members played with ``/wechat NAME`` and their windows.
    wechat: SandboxWeChat | None = None
    last_with_buttons: str | None = None
    #: Repeat typed lines in the transcript (scripts); a terminal already shows them.
    echo_input: bool = True
    #: Where the clock and message numbers are kept (set by :meth:`resume`).
    state: Path | None = None

    @classmethod
    async def create(
        cls, app: App, clock: ManualClock, write: Callable[[str], None] = print
    ) -> SandboxConsole:
        """A console over the app's database; remembers who opened a private chat before."""
        world = SandboxWorld(clock, app.settings.sandbox.group_title, app.settings.sandbox.operator)
        async with app.storage.transaction() as repos:
            world.started |= await repos.users.started_ids(world.name)
        return cls(app, world, write, wechat=SandboxWeChat(clock))

    def resume(self, state: Path) -> None:
        """Go on from a previous run's clock (never back in time) and message numbers;
        from now on they are kept in ``state`` after every line (:meth:`keep`)."""
        self.state = state
        try:
            saved = json.loads(state.read_text("utf-8"))
            moment = datetime.fromisoformat(saved["clock"])
            number = int(saved["next_message_id"])
        except (OSError, ValueError, KeyError, TypeError):
            return  # a first run, or a state file from elsewhere: start from now
        if moment > self.world.clock.now():
            self.world.clock.advance(moment - self.world.clock.now())
        self.world.next_message_id = max(self.world.next_message_id, number)
        wechat = saved.get("wechat")
        if self.wechat is not None and isinstance(wechat, dict):
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                for name in wechat.get("members", ()):  # known: not greeted as new again
                    self.world.wechat_member(name)
                self.wechat.restore(wechat)

    def save(self, state: Path) -> None:
        """Keep the clock and message numbers for the next run, with the WeChat members'
        windows and held messages (WeChat keeps them whether or not the bot runs)."""
        now, number = self.world.clock.now().isoformat(), self.world.next_message_id
        saved: dict[str, object] = {"clock": now, "next_message_id": number}
        if self.wechat is not None:
            members = [u.display_name for u in self.world.users.values() if u.platform == WECHAT]
            saved["wechat"] = {"members": members, **self.wechat.saved()}
        state.write_text(json.dumps(saved, ensure_ascii=False), "utf-8")

    def keep(self) -> None:
        """Save the clock and message numbers now: a sandbox closed without /quit (its
        terminal closed, the process killed) goes on from here next time, rather than
        from an older clock, before what it already sent, with numbers used again."""
        if self.state is not None:
            self.save(self.state)

    # -- input --------------------------------------------------------------
    async def handle_line(self, line: str) -> bool:
        """Process one typed line; False when the session should end."""
        line = line.rstrip("\n")
        if not line.strip() or _COMMENT.match(line):
            return True
        word, _, rest = line.strip().partition(" ")
        meta = self.meta_commands.get(word.lower())
        if meta is not None:
            return await meta(self, rest.strip())
        if self.echo_input:
            where = self.world.where(self.world.here)
            self.write(f"[{where}] {self.world.current.display_name}: {line}")
        await self._dispatch(self.world.say(line))
        return True

    async def sweep(self) -> None:
        """Run due work now, as the scheduler would; the sandbox does it after every line."""
        actions = await self.app.sweep()
        if actions:
            await self.app.carry_out(actions, self.execute)

    async def _dispatch(self, incoming: Incoming, *, wrote: bool = True) -> None:
        """Handle what was typed; ``wrote`` off: an event, not the member's message."""
        try:
            member = _wechat_member(incoming)
            if member is not None and self.wechat is not None:
                due = self.wechat.member_wrote(member.id) if wrote else []  # the window opens
                for text in due:  # what was held goes first, oldest first
                    self.write("    (补发之前未能发出的消息 sending what was held)")
                    await self.execute([SendPrivate(user=member, text=Markup.escape(text))])
                await self.app.dispatcher.handle(incoming, self.wechat.platform, self.execute)
            else:
                await self.app.dispatcher.handle(incoming, self.world, self.execute)
            await self.sweep()
        except Exception as error:  # the sandbox keeps going, like a bot would
            log.exception("update failed")
            self.write(f"(!) 处理失败 update failed: {error}")

    async def _as(self, name: str) -> bool:
        if not name:
            self.write("用法 usage: /as NAME")
            return True
        self.world.current = self.world.user(name)
        self.write(f"(现在你是 you are now: {self.world.current.display_name})")
        return True

    async def _join(self, name: str) -> bool:
        if not name:
            self.write("用法 usage: /join NAME")
            return True
        self.write(f"(+ {name} 加入了群 joined the group)")
        await self._dispatch(self.world.join(name))
        return True

    async def _leave(self, name: str) -> bool:
        if not name:
            self.write("用法 usage: /leave NAME")
            return True
        self.write(f"(- {name} 离开了群 left the group)")
        await self._dispatch(self.world.leave(name))
        return True

    async def _advance(self, text: str) -> bool:
        try:
            delta = parse_duration(text or "1d")
        except ValueError as error:
            self.write(f"(!) {error}")
            return True
        if delta > LONGEST_ADVANCE:  # a day's sweep at a time; and the calendar ends
            self.write(f"(!) 一次最多前进 at most {LONGEST_ADVANCE.days}d at a time")
            return True
        return await self._advance_by(delta, text or "1d")

    async def _advance_by(self, delta: timedelta, label: str) -> bool:
        """Move the clock by ``delta``, stopping at every moment something falls due on
        the way (a welcome, a day-3 check-in, a topic slot), and say what happened."""
        clock = self.world.clock
        end = clock.now() + delta
        #: Everything due up to here has been swept; None: sweep first what is due now.
        swept: datetime | None = None
        while clock.now() < end:
            now = clock.now()
            # Asked from the last sweep's moment, not from now: the wall clock moves on
            # while a step is swept, and work falling due meanwhile is swept at once
            # rather than at the next moment something falls due (a day later, stale).
            due = now if swept is None else await self.app.sweeper.next_due(swept)
            step_to = max(now, min(end, now + LONGEST_STEP, due or end))
            clock.advance(step_to - now)
            swept = step_to
            shown: list[str] = []
            with self._collecting(shown):
                await self.sweep()
                await self._say_what_was_skipped(now, step_to)
            if shown:
                self.write(f"(⏩ {self._local(step_to)})")
                for line in shown:
                    self.write(line)
        self.write(f"(⏩ 时钟前进 clock advanced {label} → {self._local(end)})")
        return True

    def _local(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.app.community.timezone):%Y-%m-%d %H:%M %Z}"

    @contextlib.contextmanager
    def _collecting(self, into: list[str]):  # type: ignore[no-untyped-def]
        """Hold what a step prints, so a step where nothing happened prints nothing."""
        write = self.write
        self.write = into.append
        try:
            yield
        finally:
            self.write = write

    async def _say_what_was_skipped(self, start: datetime, end: datetime) -> None:
        """Topic slots of the step that were not posted, and why: moving the clock must
        never skip something silently."""
        async with self.app.storage.transaction() as repos:
            decided = await repos.topics.decided_between(start, end)
            texts = self.app.texts
            names = {item.id: title(texts, item.name) for item in await repos.topics.schedules()}
        for post in decided:
            if post.status in ("skipped", "missed"):
                when, name = self._local(post.slot_at), names.get(post.schedule_id, "?")
                reason = _NOT_POSTED.get(post.status, post.status)
                self.write(f"(话题「{name}」{when} 未发布 topic not posted: {reason})")

    async def _time(self, text: str) -> bool:
        """Move the clock forward to the next HH:MM in the community's time zone."""
        try:
            target = datetime_time.fromisoformat(text.strip())
        except ValueError:
            self.write("(!) 用法 usage: /time HH:MM, e.g. /time 10:00")
            return True
        zone = self.app.community.timezone
        now = self.world.clock.now()
        day = now.astimezone(zone).date()
        wanted = datetime.combine(day, target, zone)
        if wanted <= now:
            wanted = datetime.combine(day + timedelta(days=1), target, zone)
        # In UTC: the difference of two local times would be an hour off on the day the
        # clocks change.
        return await self._advance_by(wanted.astimezone(UTC) - now, f"→ {target:%H:%M}")

    async def _wechat(self, name: str) -> bool:
        if not name:
            self.write("用法 usage: /wechat NAME")
            return True
        new = self.world.wechat_id(name) not in self.world.users
        self.world.current = self.world.wechat_member(name)
        self.write(
            f"(微信客服 WeChat: 你是 you are {self.world.current.display_name}，"
            "一对一和客服账号聊天 one to one with the 客服账号。"
            "微信只允许在成员最后一条消息后 48 小时内最多回 5 条 "
            "WeChat allows 5 messages within 48 h of the member's last one; /as NAME 回到群成员)"
        )
        if new and self.wechat is not None:
            # Opening the chat from the 客服 link: greeted on the session's welcome code,
            # and the 客服账号's community joined (the newcomer flow starts).
            self.wechat.entered(self.world.current.id)
            await self._dispatch(self.world.enter_session(), wrote=False)
        return True

    async def _dm(self, _: str) -> bool:
        self.world.in_private = True
        self.write(f"(私聊 private chat: {self.world.current.display_name} ↔ bot)")
        return True

    async def _desk(self, _: str) -> bool:
        self.world.in_private, self.world.at_desk = False, True
        self.write(f"(客服群 staff chat: {self.world.staff_chat.title})")
        return True

    async def _group(self, _: str) -> bool:
        self.world.in_private, self.world.at_desk = False, False
        self.write(f"(群 group: {self.world.group_title})")
        return True

    async def _press(self, text: str) -> bool:
        """``/press N`` on the last message with buttons, ``/press #M N`` on message #M."""
        words = text.split()
        number = self.last_with_buttons
        if len(words) == 2 and words[0].startswith("#"):
            number, words = words[0].lstrip("#"), words[1:]
        if number is not None and number in self.bot_messages and number not in self.buttons:
            self.write(f"(!) 消息 #{number} 没有按钮 message #{number} has no buttons")
            return True
        if number is not None and number.isdecimal() and number not in self.bot_messages:
            # Buttons live in this run's memory: an earlier run's messages have none left.
            self.write(
                f"(!) 这次运行里没有机器人消息 #{number}，按钮只在本次运行中可用 "
                f"(no bot message #{number} in this run; buttons last for the run)"
            )
            return True
        message = self.bot_messages.get(number) if number is not None else None
        here = self.world.here
        if message is not None and (message.chat.platform, message.chat.id) != (
            here.platform,
            here.id,
        ):
            # As on Telegram: a button is pressed where its message is, by who is there.
            where = self.world.where(message.chat)
            self.write(
                f"(!) 消息 #{number} 在「{where}」，不在这里：先到那里（/group、/desk、/dm）"
                f" (message #{number} is in {where}, not here: go there first)"
            )
            return True
        try:
            assert number is not None
            button = self.buttons[number][int(words[0]) - 1]
        except (AssertionError, KeyError, ValueError, IndexError):
            self.write(
                "(!) 用法 usage: /press N — 上一条带按钮消息的第 N 个按钮 (button N of the "
                "last message with buttons); /press #M N — 机器人消息 #M 的按钮 (of message #M)"
            )
            return True
        self.write(f"[{self.world.current.display_name} 点击 pressed «{button.label}» #{number}]")
        await self._dispatch(self.world.press(self.bot_messages[number], button.data or ""))
        return True

    async def _promote(self, name: str) -> bool:
        self.world.admins.add(self.world.user(name).id)
        self.write(f"({name} 现在是管理员 is now an admin)")
        return True

    async def _demote(self, name: str) -> bool:
        self.world.admins.discard(self.world.user(name).id)
        self.write(f"({name} 不再是管理员 is no longer an admin)")
        return True

    async def _staff(self, _: str) -> bool:
        if not self.staff_inbox:
            self.write("(客服群为空 the staff chat is empty)")
        for number, notice in self.staff_inbox:
            self.write(f"📋 [客服群 staff #{number}] {notice}")
        return True

    async def _reply_to(self, text: str) -> bool:
        number, _, answer = text.partition(" ")
        target = self.bot_messages.get(number.lstrip("#"))
        if target is None or not answer.strip():
            self.write("(!) 用法 usage: /re N TEXT — N 是机器人消息的编号 (the bot message's #)")
            return True
        self.write(f"[{self.world.current.display_name} 回复 replied to #{target.id}] {answer}")
        await self._dispatch(self.world.reply(target, answer.strip()))
        return True

    async def _who(self, _: str) -> bool:
        admins = ", ".join(self.world.name_of(a) for a in sorted(self.world.admins))
        self.write(
            f"(你是 you are {self.world.current.display_name}; "
            f"{self.world.where(self.world.here)}; 管理员 admins: {admins})"
        )
        if self.world.current.platform == WECHAT and self.wechat is not None:
            self.write(f"({self.wechat.state(self.world.current.id, self._local)})")
        return True

    async def _sandbox_help(self, _: str) -> bool:
        self.write(META_HELP)
        return True

    async def _quit(self, _: str) -> bool:
        return False

    meta_commands: ClassVar[dict[str, Callable[..., Awaitable[bool]]]] = {
        "/as": _as,
        "/join": _join,
        "/leave": _leave,
        "/advance": _advance,
        "/time": _time,
        "/dm": _dm,
        "/wechat": _wechat,
        "/desk": _desk,
        "/group": _group,
        "/press": _press,
        "/promote": _promote,
        "/demote": _demote,
        "/staff": _staff,
        "/re": _reply_to,
        "/who": _who,
        "/sandbox": _sandbox_help,
        "/quit": _quit,
        "/exit": _quit,
    }

    # -- output ---------------------------------------------------------------
    async def execute(self, actions: list[Action]) -> list[Receipt]:
        receipts = []
        for action in actions:
            shown = _Shown()
            shown.error = self._show(action, shown)
            receipt = receipt_for(
                action,
                shown.error,
                tuple(shown.sent),
                shown.fell_back,
                shown.value,
                skipped=shown.skipped,
            )
            if receipt is not None:
                receipts.append(receipt)
        return receipts

    def _show(self, action: Action, shown: _Shown) -> str | None:
        """Print what the bot does; returns why it could not, like a platform refusal."""
        world, sent = self.world, shown.sent
        to_wechat = _wechat_target(action)
        if to_wechat is not None:
            return self._to_wechat(action, to_wechat, shown)
        match action:
            case SendMessage(chat=chat):
                quote = " ↩" if action.reply_to is not None else ""
                self._bot_says(
                    chat, world.where(chat) + quote, plain_text(action.text), action.buttons, sent
                )
            case SendPrivate(user=user):
                if user.id in world.started:
                    self._bot_says(
                        world.private_chat(user),
                        f"私聊 {user.display_name}",
                        plain_text(action.text),
                        action.buttons,
                        sent,
                    )
                    return None
                fallback = private_fallback(action, self.app.texts, start_links=False)
                if fallback is None:
                    return "member has not started a private chat with the bot"
                shown.fell_back = True
                return self._show(fallback, shown)
            case NotifyStaff():
                notice = plain_text(action.text)
                ref = self._posted(world.staff_chat, sent)
                self.staff_inbox.append((ref.id, notice))
                body = notice.replace("\n", "\n    ")
                self.write(f"📋 [客服群 staff #{ref.id}] {body}")
                if action.expects_reply:
                    self.write(f"    (/re {ref.id} 文本 TEXT)")
                self._offer(ref, action.buttons)
            case SendInviteLink():
                shown.value = f"sandbox://invite/{action.name}"
                link = str(escape(shown.value))
                text = Markup(str(action.text).replace(str(INVITE_LINK), link))
                return self._show(reply(action.reply_to, text), shown)
            case EditMessage():
                self._bot_says(
                    action.message.chat,
                    f"编辑 edit #{action.message.id}",
                    plain_text(action.text),
                    action.buttons,
                    sent,
                )
            case DeleteMessage():
                self.write(f"🗑  (bot 删除了消息 deleted message #{action.message.id})")
            case RestrictMember():
                self.write(f"🔇 (bot 禁言 muted {action.user.display_name})")
            case AnswerButton(text=text) if text:
                self.write(f"💬 (toast) {text}")
        return None

    def _to_wechat(self, action: Action, member: str, shown: _Shown) -> str | None:
        """A message to a WeChat member: inside the window, or held with the reason."""
        assert self.wechat is not None and isinstance(action, SendPrivate | SendMessage)
        chat = ChatRef(WECHAT, member, ChatKind.PRIVATE, self.world.name_of(member))
        where = self.world.where(chat)
        fits = self.wechat.take(member)
        if not fits and action.deliveries:
            shown.skipped = True
            first_line = plain_text(action.text).splitlines()[0][:40]
            self.write(
                f"⏭  [{where}] 跳过 skipped「{first_line}…」: 微信窗口已关闭，定时消息不补发 "
                "(WeChat's window is closed; scheduled messages are not sent later)"
            )
            return "window_closed"
        if not fits:  # held, not lost: staff hear ⏳ (sent when the member writes), not ⚠️
            shown.skipped = True
            self.wechat.hold(member, plain_text(action.text))
            self.write(
                f"⏸  [{where}] 未发送 not sent: 微信窗口已关闭，成员下次发言时补发 "
                "(WeChat's window is closed; sent when the member writes again)"
            )
            return "window_closed"
        self._bot_says(chat, where, plain_text(action.text), action.buttons, shown.sent)
        self.write(f"    ({self.wechat.state(member, self._local)})")
        return None

    def _posted(self, chat: ChatRef, sent: list[Sent]) -> MessageRef:
        ref = self.world.bot_message(chat)
        self.bot_messages[ref.id] = ref
        sent.append(Sent(self.world.name, chat.id, ref.id))
        return ref

    def _bot_says(
        self, chat: ChatRef, where: str, text: str, buttons: Keyboard, sent: list[Sent]
    ) -> None:
        ref = self._posted(chat, sent)
        body = text.replace("\n", "\n    ")
        self.write(f"🤖 [{where} #{ref.id}] {body}")
        self._offer(ref, buttons)

    def _offer(self, ref: MessageRef, buttons: Keyboard) -> None:
        if buttons:
            flat = [button for row in buttons for button in row]
            self.buttons[ref.id] = flat
            self.last_with_buttons = ref.id
            labels = "  ".join(f"[{i}] {b.label}" for i, b in enumerate(flat, 1))
            self.write(f"    {labels}   (/press N)")


def _wechat_member(incoming: Incoming) -> UserRef | None:
    """The WeChat member who wrote or tapped, if that is what ``incoming`` is."""
    for event in incoming.events:
        sender = getattr(event, "sender", None)
        if event.chat.platform == WECHAT and isinstance(sender, UserRef):
            return sender
    return None


def _wechat_target(action: Action) -> str | None:
    """The WeChat member an action writes to, if any."""
    match action:
        case SendPrivate(user=user) if user.platform == WECHAT:
            return user.id
        case SendMessage(chat=chat) if chat.platform == WECHAT:
            return chat.id
    return None


async def play(console: SandboxConsole, lines: Iterable[str], echo_meta: bool = True) -> None:
    """Feed lines (a script file) to the console; stops at /quit."""
    for line in lines:
        if (
            echo_meta
            and line.strip().startswith("/")
            and line.split()[0].lower() in console.meta_commands
        ):
            console.write(f"» {line.strip()}")
        going_on = await console.handle_line(line)
        console.keep()
        if not going_on:
            break


async def interactive(console: SandboxConsole) -> None:
    """Read from the terminal until /quit or end of input; line editing and history
    come from readline, so arrow keys move the cursor instead of typing escape codes."""
    console.echo_input = not sys.stdin.isatty()
    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):  # not on every platform's Python
            import readline  # noqa: F401  (importing it is what enables line editing)
    loop = asyncio.get_running_loop()
    while True:
        world = console.world
        place = " (私聊)" if world.in_private else " (客服群)" if world.at_desk else ""
        prompt = f"{world.current.display_name}{place}> "
        try:
            line = await loop.run_in_executor(None, _read_line, prompt)
        except (EOFError, KeyboardInterrupt):
            console.write("")
            return
        going_on = await console.handle_line(line)
        console.keep()
        if not going_on:
            return


def _read_line(prompt: str) -> str:
    if sys.stdin.isatty():
        return input(prompt)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line
