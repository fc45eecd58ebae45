"""Mistyped words read as the base's word that sounds the same: only towards the base's
own words, never over a real word, and following the base as entries come and go."""

from __future__ import annotations

import pytest

from faq.homophones import Homophones, readings, sound, syllables
from faq.matcher import Matcher
from faq.normalize import Normalizer
from faq.tokenizer import Tokenizer


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.fixture
def homophones(tokenizer: Tokenizer) -> Homophones:
    found = Homophones(tokenizer)
    words = [
        "报名",
        "发票",
        "退款",
        "进群",
        "奖学金",
        "昵称",
        "往届生",
        "验证码",
        "倍速",
        "试验",
        "试用",
    ]
    for key, word in enumerate(words):
        found.add(key, [word])
    return found


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("考研几月份报铭", "考研几月份报名"),
        ("怎么开发漂啊", "怎么开发票啊"),  # 开发 is a word: only 发漂 is mended
        ("报完课怎么进裙", "报完课怎么进群"),
        ("怎么修改昵成", "怎么修改昵称"),
        ("我是往界生", "我是往届生"),
        ("收不到yanzhengma怎么办", "收不到验证码怎么办"),
        ("回放可以beisu播放吗", "回放可以倍速播放吗"),
    ],
)
def test_a_homophone_or_its_pinyin_is_read_as_the_base_word(
    homophones: Homophones, typed: str, meant: str
) -> None:
    assert homophones.correct(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "实验课有吗",  # 实验 is a word of its own, though it sounds like the base's 试验
        "鸡蛋多少钱",  # nothing the base says sounds like it
        "change password",  # English, even where it could be read as pinyin
        "bao ming",  # one syllable apart from the next is not a word's pinyin
        "报名时间",  # already the base's word
        "考上了有讲学金吗",  # 讲学 is a word: a slip is not told from what was meant
        "想同时用",  # 时用 sounds like 试用, but 时 belongs to 同时
    ],
)
def test_real_words_and_unrelated_text_are_left_alone(homophones: Homophones, text: str) -> None:
    assert homophones.correct(text) == text


def test_a_window_must_share_a_character_with_the_word(tokenizer: Tokenizer) -> None:
    homophones = Homophones(tokenizer)
    homophones.add("speed", ["倍速"])
    assert homophones.correct("被诉") == "被诉"  # same sound, nothing in common
    assert homophones.correct("倍诉") == "倍速"


def test_words_removed_with_their_entry_are_forgotten(tokenizer: Tokenizer) -> None:
    homophones = Homophones(tokenizer)
    homophones.add("invoice", ["发票", "退款"])
    homophones.add("receipt", ["发票"])  # a second entry says 发票 too
    homophones.remove("invoice")
    assert homophones.correct("开发漂退宽") == "开发票退宽"
    homophones.add("receipt", ["收据"])  # edited: 发票 no longer said by anyone
    assert homophones.correct("开发漂") == "开发漂"
    homophones.remove("receipt")
    homophones.remove("receipt")  # removing what is not there changes nothing
    assert homophones.correct("开发漂") == "开发漂"


def test_the_matcher_answers_a_mistyped_question_as_the_right_one(tokenizer: Tokenizer) -> None:
    matcher = Matcher(Normalizer(), tokenizer)
    matcher.add("invoice", ["怎么开发票？"], "在订单页点“申请发票”。")
    matcher.add("refund", ["退款多久到账？"], "3 到 5 个工作日。")
    assert matcher.search("怎么开发漂") == matcher.search("怎么开发票")
    assert matcher.search("退宽多久到账")[0].key == "refund"
    matcher.remove("invoice")
    assert not matcher.search("怎么开发漂") or matcher.search("怎么开发漂")[0].key != "invoice"


def test_readings_are_toneless_and_every_syllable_is_known() -> None:
    assert readings("绿") == ("lv", "lu")
    assert sound("登录") == ("deng", "lu") != sound("的录")  # 登's rare dé is not heard
    assert readings("a") == ()
    assert {"zhuang", "lv", "a", "er"} <= syllables()
