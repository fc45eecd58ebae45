"""Does a group message look like a question? Only those are worth matching,
so the bot stays out of ordinary chatter. And is a message small talk (a
greeting, thanks, "哈哈"), which deserves a friendly word, not an FAQ lookup?"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

_CHINESE_MARKERS = re.compile(
    r"[?？]|吗|呢[\s。!！~～]*$|么[\s。!！~～]*$|嘛[\s。!！~～]*$|怎么|怎样|如何|什么|啥|为什么|为啥"
    r"|哪|谁|多少|几[点时天个次号]|能不能|可不可以|是不是|是否|有没有|请问|求助|求教"
)
_ENGLISH_START = re.compile(
    r"^\s*(what|how|why|where|when|who|which|can|could|is|are|do|does|did|should|will|would|"
    r"any ?one|anybody|is there|help)\b",
    re.IGNORECASE,
)


def looks_like_question(text: str) -> bool:
    """True for messages with a question mark, a Chinese question word or an English question."""
    head = text[:500]
    return bool(_CHINESE_MARKERS.search(head) or _ENGLISH_START.search(head))


class SmallTalk(StrEnum):
    """A message that is no question: a greeting, thanks, or just chatter."""

    GREETING = "greeting"
    THANKS = "thanks"
    CHATTER = "chatter"
    #: Words that only pad small talk ("呀", "bot"); never an answer of small_talk().
    FILLER = "filler"


#: Which kind a message with several is: "你好，谢谢" thanks, "你好哈哈" a greeting.
_STRENGTH = (SmallTalk.FILLER, SmallTalk.CHATTER, SmallTalk.GREETING, SmallTalk.THANKS)


# Phrases are matched on the message with spaces, punctuation, emoji and @mentions
# removed, lower-cased and with repeated characters once: "Hi there!" is "hithere",
# "谢谢你～" is "谢你", "哈哈哈" is "哈".
_THANKS = (
    "谢谢", "多谢", "感谢", "谢啦", "谢了", "感恩", "辛苦了", "辛苦啦", "謝謝", "多謝", "感謝",
    "thanks", "thank", "thankyou", "thx", "ty", "cheers",
)  # fmt: skip
_GREETINGS = (
    "你好", "您好", "你们好", "大家好", "你好吗", "哈喽", "哈啰", "哈囉", "嗨", "在吗", "在么",
    "在嘛", "在不在", "有人吗", "有人在吗", "早", "早上好", "早安", "上午好", "中午好", "下午好",
    "晚上好", "晚安", "我想问一下", "想问一下", "问一下", "请问一下", "我有个问题", "有个问题",
    "我想咨询一下", "咨询一下",
    "hello", "hi", "hey", "hiya", "yo", "goodmorning", "goodafternoon", "goodevening",
    "goodnight", "morning", "ihaveaquestion", "quickquestion",
)  # fmt: skip
_CHATTER = (
    "哈", "呵", "嘿", "嘻", "嗯", "嗯呢", "哦", "噢", "喔", "好", "好的", "好滴", "好嘞", "好吧",
    "行", "可以", "收到", "明白", "明白了", "了解", "了解了", "知道了", "懂了", "没事", "没事了",
    "没问题", "是的", "对", "对的", "拜拜", "再见", "回见", "赞", "棒", "厉害", "牛", "牛逼", "6",
    "8", "ok", "okay", "okey", "k", "sure", "cool", "nice", "great", "yes", "yeah", "yep", "no",
    "nope", "bye", "byebye", "goodbye", "lol", "ha", "he", "hh",
)  # fmt: skip
#: Words around small talk that change nothing ("你好呀", "thanks bot", "谢谢你").
_FILLERS = (
    "啊", "呀", "啦", "吖", "哇", "呢", "嘛", "吧", "你", "您", "大家", "亲", "机器人", "小助手",
    "助手", "请问",
    "there", "all", "everyone", "bot", "so", "much", "alot", "very", "you", "again",
)  # fmt: skip
_MENTION = re.compile(r"@\w+")
_REPEATED = re.compile(r"(.)\1+")
#: Longer messages say something; small talk is short.
_MAX_SMALL_TALK = 24


def _folded(text: str) -> str:
    return _REPEATED.sub(r"\1", text)


_KINDS = {
    **{_folded(p): SmallTalk.FILLER for p in _FILLERS},
    **{_folded(p): SmallTalk.CHATTER for p in _CHATTER},
    **{_folded(p): SmallTalk.GREETING for p in _GREETINGS},
    **{_folded(p): SmallTalk.THANKS for p in _THANKS},
}
_LONGEST = max(map(len, _KINDS))


def small_talk(text: str) -> SmallTalk | None:
    """What kind of small talk ``text`` is ("你好", "在吗？", "谢谢！", "哈哈", "👍"), or
    None for anything that may be a question or a statement ("积分？", "怎么签到")."""
    if not text.strip():
        return None
    lowered = unicodedata.normalize("NFKC", _MENTION.sub("", text[:200])).lower()
    core = _folded("".join(char for char in lowered if char.isalnum()))
    if len(core) > _MAX_SMALL_TALK:
        return None
    if not core:  # only emoji, punctuation or a mention
        return SmallTalk.CHATTER
    # Split the message into known phrases (word break): best[i] is the strongest
    # kind among the ways to read core[:i], None where there is none.
    best: list[SmallTalk | None] = [SmallTalk.FILLER] + [None] * len(core)
    for end in range(1, len(core) + 1):
        for start in range(max(0, end - _LONGEST), end):
            before, kind = best[start], _KINDS.get(core[start:end])
            if before is not None and kind is not None:
                best[end] = max(best[end] or before, before, kind, key=_STRENGTH.index)
    found = best[-1]
    return None if found is None or found is SmallTalk.FILLER else found


class Asks(StrEnum):
    """What a question asks for. Two questions about the same thing that ask for different
    things ("where is the key hole" and "can I get a spare key") want different answers."""

    PLACE = "place"
    TIME = "time"
    AMOUNT = "amount"
    WAY = "way"
    REASON = "reason"
    WHICH = "which"
    YES_NO = "yes-no"


#: On normalized text (lower case, Simplified): a question may ask for several things.
_ASKS = {
    Asks.PLACE: r"哪里|哪儿|在哪|何处|哪个地方|\bwhere\b",
    Asks.TIME: r"(?:什么|啥)时候|何时|几[点时月号]|多久|多长时间|几天|哪[天年]"
    r"|\bwhen\b|\bhow long\b",
    Asks.AMOUNT: r"多少|几[个张次岁]|多[大重高远久]|价格|价钱|费用|\bhow (?:much|many)\b",
    Asks.WAY: r"怎么(?!会)|怎样|如何|咋|\bhow (?:do|to|can|should)\b",
    Asks.REASON: r"为什么|为啥|怎么会|\bwhy\b",
    Asks.WHICH: r"(?<!为)什么(?!时候)|啥(?!时候)|哪些|哪个|区别|\bwhat\b|\bwhich\b",
    Asks.YES_NO: r"吗|能不能|可不可以|会不会|是不是|有没有|能否|可否"
    r"|^(?:can|could|is|are|does|do|will|should)\b",
}
_ASKS_PATTERNS = tuple((kind, re.compile(pattern)) for kind, pattern in _ASKS.items())


def asks(text: str) -> frozenset[Asks]:
    """What normalized ``text`` asks for (empty: it does not say, e.g. "门锁OTA")."""
    return frozenset(kind for kind, pattern in _ASKS_PATTERNS if pattern.search(text))
