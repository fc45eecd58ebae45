"""The message catalogs: plural forms, the operator's overrides (checked at start,
heard in chat), small talk in private chats, and wording that reads naturally."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, build_app
from bot.settings import ConfigError
from handlers.actions import NotifyStaff
from handlers.clock import ManualClock
from handlers.i18n import Catalog, Entry, TextError, placeholders_of
from handlers.texts_settings import TextsSettings, with_overrides
from storage.database import Storage
from tests.chat_harness import Chat, said
from tests.conftest import make_settings
from tests.helpers import person, private_chat

CATALOG = Catalog.load()
EN, ZH = CATALOG.for_language("en"), CATALOG.for_language("zh")
# 10:00 in Shanghai on a Tuesday: staff are on duty.
MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
ALICE, MOD = person("1", "Alice"), person("42", "Mod")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=MORNING)


def is_cjk(char: str) -> bool:
    return bool(char) and ("\u4e00" <= char <= "\u9fff" or char in "「」（），。：；！？")


def templates(entry: Entry | None) -> list[str]:
    assert entry is not None
    return [entry] if isinstance(entry, str) else list(entry.values())


def plural_keys(language: str) -> list[str]:
    return sorted(
        k for k in CATALOG.keys(language) if not isinstance(CATALOG.entry(language, k), str)
    )


def filled(key: str, count: int, language: str = "en") -> str:
    """The text with ``count`` and a stand-in for every other placeholder."""
    names = CATALOG.placeholders(key) - {"count"}
    return str(CATALOG.for_language(language).t(key, count=count, **dict.fromkeys(names, "X")))


# -- plural forms ------------------------------------------------------------------


def test_english_picks_the_form_for_one_and_for_more() -> None:
    assert "streak: 1 day)" in EN.t("points.checkin_again", count=1)
    assert "streak: 2 days)" in EN.t("points.checkin_again", count=2)
    assert "streak: 0 days)" in EN.t("points.checkin_again", count=0)
    assert EN.t("tickets.within_hours", count=1) == "within 1 hour"
    assert EN.t("tickets.within_minutes", count=90) == "within 90 minutes"
    assert "1 person took part" in EN.t("topics.summary", count=1, names="Alice")


def test_a_moment_is_told_from_today_in_the_communitys_clock() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)  # 20:30 in Shanghai
    tomorrow = datetime(2026, 12, 5, 2, 30, tzinfo=UTC)
    later = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    assert ZH.moment(now, now, zone) == "今天20:30"
    assert ZH.moment(tomorrow, now, zone) == "明天10:30"
    assert ZH.moment(later, now, zone) == "12月7日09:00"
    assert EN.moment(tomorrow, now, zone) == "tomorrow at 10:30"
    assert EN.moment(later, now, zone) == "Dec 7 at 09:00"
    said = EN.t("tickets.ack_out_of_hours", id=1, opens=EN.moment(tomorrow, now, zone))
    assert said.endswith("they will be back tomorrow at 10:30 and will answer soon after.")
    # 23:30 UTC on the 4th is already the 5th in Shanghai: "today" is the community's.
    assert ZH.moment(datetime(2026, 12, 4, 23, 30, tzinfo=UTC), tomorrow, zone) == "今天07:30"


def test_chinese_texts_stay_plain_and_read_the_same_for_any_count() -> None:
    assert plural_keys("zh") == []
    assert ZH.t("points.checkin_again", count=1) == "今天已经签过到了，已连续签到1天，明天再来！"
    assert ZH.t("points.checkin_again", count=2) == "今天已经签过到了，已连续签到2天，明天再来！"


def test_a_plural_table_is_one_key_in_both_languages() -> None:
    assert "points.checkin_again" in CATALOG.keys("en")
    assert "points.checkin_again.one" not in CATALOG.keys("en")
    assert CATALOG.keys("zh") == CATALOG.keys("en")


@pytest.mark.parametrize("key", plural_keys("en"))
def test_every_english_count_reads_right_for_one_and_two(key: str) -> None:
    one, two = filled(key, 1), filled(key, 2)
    assert not re.search(r"\b1 (?:more )?(?:\w+s|people)\b", one), one
    assert one != two.replace("2", "1"), "the same form for 1 and 2"


def test_no_plain_english_text_puts_a_plural_noun_after_a_count() -> None:
    """A number a member can see as 1 needs a plural table; these stay plain because
    their number never is 1 (limits, fixed reporting periods, fixed windows)."""
    never_one = {
        "rules.too_long",  # only over the 3,500-character limit
        "onboarding.setwelcome_too_long",
        "onboarding.funnel_heading",  # the last 30 days
        "onboarding.funnel_activated",  # milestones 3, 7, 14
        "faq.too_long",
        "faq.misses_heading",
        "faq.misses_none",
        "topics.too_long",
        "tickets.sla_none",
        "tickets.sla_heading",
        "tickets.staff_appended",  # the 5-minute notice window
        "tickets.answer_too_long",  # only over the 4,000-character limit
        "linking.code",  # a link code's fixed 10 minutes
        "linking.bad_code",
        "console.link",  # a sign-in link's fixed 10 minutes
        "console_ui.faq_misses",  # the last 30 days, as /faqmisses
    }
    counted = re.compile(
        r"\{(count|days|hours|minutes|points|streak|left|length|limit|size|uses|cost)\}"
        r" (\w+s|people)\b"
    )
    offenders = [
        key
        for key in sorted(CATALOG.keys("en"))
        if isinstance(entry := CATALOG.entry("en", key), str)
        and counted.search(entry)
        and key not in never_one
    ]
    assert offenders == []


def test_both_languages_use_the_same_placeholders() -> None:
    for key in CATALOG.keys("zh"):
        zh = set().union(*(placeholders_of(t) for t in templates(CATALOG.entry("zh", key))))
        en = set().union(*(placeholders_of(t) for t in templates(CATALOG.entry("en", key))))
        assert zh == en, key


def test_the_built_in_texts_pass_the_checks_overrides_get() -> None:
    for language in ("zh", "en"):
        own = {key: CATALOG.entry(language, key) for key in CATALOG.keys(language)}
        CATALOG.overridden(language, own)


def test_the_consoles_charts_name_the_grades_as_the_tickets_do() -> None:
    """Staff read 重大 on a card and in the queue: the tickets chart's legend says the same."""
    for texts in (ZH, EN):
        for grade in ("crisis", "high", "low"):
            legend = texts.plain(f"console_ui.series_severity_{grade}")
            assert legend.lower() == texts.plain(f"tickets.severity_{grade}").lower(), grade


def test_names_are_listed_the_languages_way() -> None:
    assert ZH.join(["@wang", "@li", "@zhao"]) == "@wang、@li和@zhao"
    assert EN.join(["@wang", "@li"]) == "@wang and @li"


# -- overrides -----------------------------------------------------------------------


def texts_app(tmp_path: Path, storage: Storage, clock: ManualClock, **values: Any) -> App:
    settings = make_settings(tmp_path, faq={"enabled": False}, **values)
    return build_app(settings, clock=clock, storage=storage)


async def test_an_inline_override_changes_what_the_bot_says(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    texts = {"zh": {"rules.none": "这里还没有群规，请管理员发送 /setrules 添加。"}}
    chat = Chat(texts_app(tmp_path, sqlite_storage, clock, texts=texts))
    assert said(await chat.cmd(ALICE, "/rules")) == "这里还没有群规，请管理员发送 /setrules 添加。"
    # Other texts are the built-in ones.
    assert "没有 /nosuch 这个命令" in said(await chat.cmd(ALICE, "/nosuch", private_chat(ALICE)))


async def test_a_folder_of_catalogs_with_plural_forms_changes_what_the_bot_says(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "en.toml").write_text(
        '[points]\ncheckin_again = { one = "Done already: {count} day in a row.", '
        'other = "Done already: {count} days in a row." }\n'
        '[rules]\nnone = "No rules here yet."\n',
        "utf-8",
    )
    (folder / "zh.toml").write_text('[rules]\nnone = "文件夹里的文本"\n', "utf-8")
    chat = Chat(
        texts_app(
            tmp_path,
            sqlite_storage,
            clock,
            community={"language": "en"},
            texts={"dir": str(folder), "en": {"rules.none": "The inline text wins."}},
        )
    )
    await chat.cmd(ALICE, "/checkin")
    assert "Done already: 1 day in a row." in said(await chat.cmd(ALICE, "/checkin"))
    assert said(await chat.cmd(ALICE, "/rules")) == "The inline text wins."


def bad_app(tmp_path: Path, texts: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        build_app(make_settings(tmp_path, texts=texts))
    message = str(raised.value)
    assert "\n" not in message and message.startswith("config error: texts.")
    return message


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (
            {"zh": {"onboarding.group_welcom": "欢迎{name}"}},
            'texts.zh: no text "onboarding.group_welcom" in the catalog '
            '(did you mean "onboarding.group_welcome"?)',
        ),
        (
            {"zh": {"onboarding.group_welcome": "欢迎{nickname}"}},
            '"onboarding.group_welcome": {nickname} is not a placeholder of this text '
            "(it has {group}, {name})",
        ),
        ({"en": {"rules.none": "No rules {yet"}}, "the braces do not pair up"),
        ({"en": {"rules.none": "No rules }here"}}, "the braces do not pair up"),
        ({"en": {"rules.none": "{0} rules"}}, "write placeholders as a plain name"),
        (
            {"en": {"points.checkin_again": {"few": "x", "other": "{count}"}}},
            '"few" is not a plural form in en (it has one, other)',
        ),
        ({"zh": {"rules.none": {"one": "x"}}}, "must be a text, or a table of plural forms"),
        ({"zh": {"rules.none": "<b>还没有群规"}}, "<b> is not closed"),
        ({"zh": {"rules.none": "<div>还没有</div>"}}, "<div> is not a tag Telegram accepts"),
        ({"zh": {"start.greeting": " "}}, '"start.greeting": the text is empty'),
        ({"en": {"points.checkin_again": {"one": "<b></b>", "other": "x"}}}, "the text is empty"),
        ({"dir": "no-such-folder"}, "texts.dir: there is no folder no-such-folder"),
    ],
)
def test_a_bad_override_stops_the_build_with_one_line(
    tmp_path: Path, texts: dict[str, Any], expected: str
) -> None:
    assert expected in bad_app(tmp_path, texts)


def test_a_bad_catalog_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "zh.toml").write_text("[rules]\nnone = 还没有\n", "utf-8")
    message = bad_app(tmp_path, {"dir": str(folder)})
    assert f"texts.dir: {folder / 'zh.toml'} is not valid TOML" in message
    (folder / "zh.toml").write_text('[rules]\nnon = "x"\n', "utf-8")
    message = bad_app(tmp_path, {"dir": str(folder)})
    assert f'texts.dir: {folder / "zh.toml"}: no text "rules.non"' in message
    (folder / "zh.toml").unlink()
    (folder / "fr.toml").write_text('[rules]\nnone = "x"\n', "utf-8")
    assert "is not a language Shequn has" in bad_app(tmp_path, {"dir": str(folder)})


def test_an_override_may_leave_placeholders_out_and_a_table_stands_for_a_text() -> None:
    config = TextsSettings(
        zh={"onboarding": {"group_welcome": "欢迎新朋友！"}},  # TOML's dotted keys, unquoted
        en={"rules.saved": "Rules saved.", "start.in_group": {"other": "Write to me."}},
    )
    catalog = with_overrides(Catalog.load(), config)
    assert catalog.for_language("zh").t("onboarding.group_welcome", name="A", group="G") == (
        "欢迎新朋友！"
    )
    assert catalog.for_language("en").t("rules.saved", count=1) == "Rules saved."
    assert catalog.for_language("en").t("start.in_group") == "Write to me."
    with pytest.raises(TextError, match="not a placeholder"):
        catalog.overridden("en", {"rules.saved": "{length}"})  # the old name is gone


def test_the_command_line_prints_a_bad_override_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "en.toml").write_text('[faq]\nprivate_unknwon = "?"\n', "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env["SHEQUN_TEXTS__DIR"] = "texts"
    (tmp_path / "script.txt").write_text("/help\n", "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--script", "script.txt"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f'config error: texts.dir: {Path("texts") / "en.toml"}: no text "faq.private_unknwon" '
        'in the catalog (did you mean "faq.private_unknown"?)'
    ]


# -- wording -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "language", "promise"),
    [
        (120, "zh", "工作人员会在2小时内回复你"),
        (90, "zh", "工作人员会在90分钟内回复你"),
        (60, "en", "a staff member will answer within 1 hour"),
        (1, "en", "a staff member will answer within 1 minute"),
    ],
)
async def test_the_acknowledgement_promises_the_real_target(
    tmp_path: Path,
    sqlite_storage: Storage,
    clock: ManualClock,
    minutes: int,
    language: str,
    promise: str,
) -> None:
    settings = make_settings(
        tmp_path,
        faq={"enabled": False},
        points={"enabled": False},
        community={"language": language},
        escalation={"low_minutes": minutes},
    )
    chat = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    assert promise in said(await chat.cmd(ALICE, "/complain 课件下载不了"))


def test_the_guided_addfaq_asks_for_the_question_plainly() -> None:
    assert "发送新问题的问题" not in ZH.plain("faq.add_ask_question")
    assert ZH.plain("faq.add_ask_question").startswith("请回复这条消息，写下要添加的问题")


# -- the leads -----------------------------------------------------------------------


async def crisis_notes(
    tmp_path: Path, storage: Storage, clock: ManualClock, language: str = "zh", **escalation: Any
) -> str:
    settings = make_settings(
        tmp_path,
        faq={"enabled": False},
        points={"enabled": False},
        escalation=escalation,
        community={"language": language},
    )
    chat = Chat(build_app(settings, clock=clock, storage=storage))
    actions = await chat.cmd(ALICE, "/complain 骗子！我要去12315投诉")
    return "\n".join(said([a]) for a in actions if isinstance(a, NotifyStaff) and a.leads)


async def test_without_leads_the_crisis_notice_asks_whoever_reads_it(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    note = await crisis_notes(tmp_path, sqlite_storage, clock)
    assert note == (
        "🚨 危机工单 #1：请立即跟进（在配置 escalation.leads 中设置负责人后，这里会点名通知）。"
    )


async def test_leads_are_named_as_a_list(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    note = await crisis_notes(tmp_path, sqlite_storage, clock, leads=["@wang", "@li"])
    assert note == "🚨 危机工单 #1：请负责人 @wang和@li 立即跟进。"


async def test_english_no_leads_wording(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    note = await crisis_notes(tmp_path, sqlite_storage, clock, language="en")
    assert note == (
        "🚨 Crisis ticket #1: please follow up now (set escalation.leads to have leads named here)."
    )


def test_chinese_texts_have_no_space_around_a_name_or_a_number() -> None:
    """「我是 社群运营团队」, 「请负责人 （未配置负责人） 立即跟进」: Chinese takes no space
    around a name or a number. Latin keeps its spaces: /commands, #ids, @handles (the
    leads), times and zones, and what members typed."""
    latin = {
        "leads",
        "owners",
        "value",
        "zone",
        "timezone",
        "local_time",
        "command",
        "args",
        "pool_id",  # a pool's code in a command: /addtopic weekend …
        "code",  # a link code, typed after its keyword: 绑定 K7M2QX9P
    }
    offenders = []
    for key in sorted(CATALOG.keys("zh")):
        for template in templates(CATALOG.entry("zh", key)):
            for match in re.finditer(r"(?<![/#@])\{(\w+)\}", template):
                before = template[max(0, match.start() - 2) : match.start()]
                after = template[match.end() : match.end() + 2]
                spaced = re.fullmatch(r".? ", before) and is_cjk(before[0])
                spaced = spaced or (after.startswith(" ") and is_cjk(after[1:2]))
                if spaced and match.group(1) not in latin:
                    offenders.append(f"{key}: {template}")
    assert offenders == []
    assert "（未配置负责人）" not in "".join(
        t for key in CATALOG.keys("zh") for t in templates(CATALOG.entry("zh", key))
    )


# -- small talk in private chats ----------------------------------------------------------


async def faq_chat(tmp_path: Path, storage: Storage, clock: ManualClock, entries: bool) -> Chat:
    settings = make_settings(
        tmp_path, community={"moderators": ["testnet:42"]}, points={"enabled": False}
    )
    chat = Chat(build_app(settings, clock=clock, storage=storage))
    await chat.app.prepare()
    if entries:
        await chat.cmd(MOD, "/addfaq 积分怎么兑换礼品？ | 在积分商城兑换。")
        await chat.cmd(MOD, "/addfaq 怎么签到？ | 每天发送 /checkin 签到。")
    return chat


@pytest.mark.parametrize("text", ["你好", "您好，在吗？", "hi", "Hello bot!", "哈哈", "👍", "嗨～"])
async def test_a_greeting_in_a_private_chat_is_greeted(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock, text: str
) -> None:
    chat = await faq_chat(tmp_path, sqlite_storage, clock, entries=True)
    answer = said(await chat.say(ALICE, text, private_chat(ALICE)))
    assert "/help" in answer and "/ask" in answer and "还不知道答案" not in answer
    async with chat.app.storage.transaction() as repos:
        assert await repos.faq.misses(MORNING) == []


async def test_thanks_gets_a_welcome_and_real_short_questions_still_reach_the_faq(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    chat = await faq_chat(tmp_path, sqlite_storage, clock, entries=True)
    dm = private_chat(ALICE)
    assert said(await chat.say(ALICE, "谢谢！", dm)).startswith("不客气！")
    assert "每天发送 /checkin 签到" in said(await chat.say(ALICE, "怎么签到", dm))
    assert "积分商城" in said(await chat.say(ALICE, "积分怎么兑换？", dm))
    assert "还不知道答案" in said(await chat.say(ALICE, "课程什么时候开始？", dm))


async def test_without_faq_entries_a_greeting_points_at_help(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    chat = await faq_chat(tmp_path, sqlite_storage, clock, entries=False)
    dm = private_chat(ALICE)
    assert (
        said(await chat.say(ALICE, "你好", dm))
        == "你好，Alice！我是社群助手，发送 /help 看看我能做什么。"
    )
    assert (
        said(await chat.say(ALICE, "积分？", dm))
        == "我是社群助手机器人。发送 /help 查看我能做什么。"
    )


async def test_in_the_group_only_small_talk_to_the_bot_is_answered(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    chat = await faq_chat(tmp_path, sqlite_storage, clock, entries=True)
    assert said(await chat.say(ALICE, "在吗？")) == ""
    assert said(await chat.say(ALICE, "哈哈", reply_to_bot=True)) == ""
    greeted = said(await chat.say(ALICE, "@shequn_bot 你好", mentions_bot=True))
    assert greeted.startswith("你好，@Alice！") and "/ask" in greeted
    thanked = said(await chat.say(ALICE, "谢谢", reply_to_bot=True))
    assert thanked.startswith("不客气！")


def test_a_member_reached_one_to_one_reads_the_variant_where_there_is_one() -> None:
    """``KEY.one_to_one`` stands in for ``KEY`` for a member with no group (WeChat); a
    text without one reads the same, and other members never see the variant."""
    one = ZH.for_one_to_one()
    assert one.plain("private.hint") == "我是社群助手机器人。发「帮助」看看我能做什么。"
    assert "/help" in ZH.plain("private.hint")
    assert one.plain("help.checkin") == ZH.plain("help.checkin")
    own = CATALOG.overridden("zh", {"private.hint.one_to_one": "发「菜单」试试。"})
    assert own.for_language("zh").for_one_to_one().plain("private.hint") == "发「菜单」试试。"


def test_every_one_to_one_text_varies_a_text_and_fills_what_it_fills() -> None:
    for catalog in (EN, ZH):
        for key in catalog.messages:
            if key.endswith(".one_to_one"):
                base = key.removesuffix(".one_to_one")
                # A newcomer step's text is a family (.active, .silent): it varies the step.
                family = [k for k in catalog.messages if k.startswith(f"{base}.") and k != key]
                assert base in catalog.messages or family, key
                if base in catalog.messages:
                    assert CATALOG.placeholders(key) <= CATALOG.placeholders(base), key
