"""Does a group message look like a question? Only those are worth matching,
so the bot stays out of ordinary chatter."""

from __future__ import annotations

import re

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
