"""The FAQ library on its own: normalization, tokens, the incremental index,
the matcher's decisions, answer sanitizing, file formats and the evaluation set."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.evaluate import evaluate_files, load_base
from bot.settings import Settings
from faq.answer_html import sanitize_answer
from faq.clusters import cluster_texts
from faq.evaluation import (
    LabelledQuery,
    Prediction,
    predict,
    read_queries,
    summarize,
    trade_off,
)
from faq.formats import EntryRow, FormatError, read_entries, write_entries
from faq.index import Bm25Index
from faq.matcher import EntryText, Matcher, Verdict
from faq.normalize import Normalizer
from faq.question import Asks, SmallTalk, asks, looks_like_question, small_talk
from faq.synonyms import DEFAULT_SYNONYMS
from faq.tokenizer import Tokenizer
from tests.fake_telegram.html_check import validate_telegram_html
from tests.faq_baseline import PlainBm25, rescaled

DATA = Path(__file__).parent / "data" / "faq_eval"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(user_words=["示例社区"])


@pytest.fixture(scope="module")
def matcher(tokenizer: Tokenizer) -> Matcher:
    m = Matcher(Normalizer(DEFAULT_SYNONYMS), tokenizer)
    m.add(1, ["积分怎么兑换礼品？", "积分商城在哪里？"])
    m.add(2, ["忘记密码怎么办？", "密码找回"])
    m.add(3, ["How do I change the app language?"])
    m.add(4, ["退款多久到账？"])
    return m


# -- normalization and tokens ------------------------------------------------------


def test_traditional_fullwidth_and_case_fold_to_one_form() -> None:
    normalize = Normalizer()
    assert normalize("積分怎麼兌換？ＡＰＰ") == "积分怎么兑换?app"


def test_synonyms_rewrite_to_the_canonical_word_without_eating_longer_words() -> None:
    normalize = Normalizer([("课程", "课"), ("直播", "live"), ("积分", "分数")])
    assert normalize("这门课的分数") == "这门课程的积分"
    # The canonical word is not read as its shorter synonym plus a leftover.
    assert normalize("课程") == "课程"
    # Latin synonyms match whole words only.
    assert normalize("deliver live now") == "deliver 直播 now"


def test_tokens_drop_particles_and_keep_community_words(tokenizer: Tokenizer) -> None:
    terms = tokenizer.terms(Normalizer()("请问一下示例社区的积分怎么兑换呀？"))
    assert "示例社区" in terms.words and "积分" in terms.words
    assert not {"请问", "一下", "怎么", "呀", "的"} & set(terms.words)
    assert any(term.endswith("兑换") for term in terms.bigrams)


def test_english_words_meet_their_other_forms_and_contractions_leave_nothing(
    tokenizer: Tokenizer,
) -> None:
    normalize = Normalizer()
    asked = tokenizer.terms(
        normalize("I can't make it, what's the refund if I cancelled my bookings?")
    )
    entry = tokenizer.terms(normalize("Refunds when you cancel a booking"))
    assert set(entry.words) <= set(asked.words)  # refunds/refund, cancel/cancelled, booking(s)
    # "can't" and "what's" leave no stray "t" or "s"; chat fillers are no terms either.
    chat = tokenizer.terms(normalize("hey u guys, im new n dont know where to sign up lol"))
    assert set(chat.words) == {"new", "sign"}


def test_links_mentions_and_emoji_carry_no_terms(tokenizer: Tokenizer) -> None:
    normalize = Normalizer()
    assert not tokenizer.terms(normalize("🎉🎉🎉 @someone https://example.com/x?y=1"))


# -- the index changes one entry at a time ------------------------------------------


def test_incremental_changes_score_like_a_fresh_build() -> None:
    docs = {"a": [["积分", "兑换"]], "b": [["密码", "忘记"]], "c": [["积分", "过期"]]}
    changed = Bm25Index()
    for key, terms in docs.items():
        changed.add(key, terms)
    changed.add("b", [["密码", "重置", "邮箱"]])  # edit
    changed.remove("c")  # delete
    fresh = Bm25Index()
    fresh.add("a", docs["a"])
    fresh.add("b", [["密码", "重置", "邮箱"]])
    query = {"积分": 1.0, "密码": 1.0, "过期": 1.0}

    def by_key(index: Bm25Index) -> dict[object, float]:
        return {index.key_of(d): round(s, 9) for d, s in index.score_documents(query).items()}

    assert by_key(changed) == by_key(fresh)
    assert len(changed) == 2 and "c" not in changed


def test_a_matcher_after_edits_and_deletions_answers_as_a_fresh_build(
    tokenizer: Tokenizer,
) -> None:
    """Phrasings, answers (what each entry mentions) and what each asks for all follow
    edits and deletions: confidences equal a matcher built from the final base."""
    final = {
        "lock": EntryText(("门锁的机械钥匙孔在哪里？",), "在把手下方的盖板里。"),
        "spare": EntryText(("机械钥匙丢了可以补配吗？", "钥匙补配"), "可以，到门店补配。"),
    }
    changed = Matcher(Normalizer(), tokenizer)
    changed.add("lock", ["门锁多少钱？"], "899 元，含安装。")
    changed.add("gone", ["门锁颜色有哪些？"], "黑色和银色。")
    changed.add_entry("spare", final["spare"])
    changed.add_entry("lock", final["lock"])  # edited: another question and answer
    changed.remove("gone")
    fresh = Matcher(Normalizer(), tokenizer)
    for key, entry in final.items():
        fresh.add_entry(key, entry)
    asked = ("钥匙孔的盖板在哪", "门锁多少钱", "银色的门锁有吗", "钥匙丢了能补配吗")
    slips = ("钥匙丢了能补陪吗", "门锁颜涩有哪些")  # 颜色 went with its entry
    for question in asked + slips:
        assert changed.search(question) == fresh.search(question), question


# -- decisions ------------------------------------------------------------------------


def test_answers_paraphrases_and_traditional_characters(matcher: Matcher) -> None:
    assert matcher.decide("请问积分在哪里换礼品呀").best.key == 1
    decision = matcher.decide("忘記密碼了怎麼辦")
    assert decision.verdict is Verdict.ANSWER and decision.best.key == 2
    assert matcher.decide("how can i change the language of the app?").best.key == 3


def test_a_typo_still_finds_the_entry(matcher: Matcher) -> None:
    assert matcher.search("机分怎么兑换")[0].key == 1


@pytest.mark.parametrize(
    "chatter", ["今晚吃什么？", "有人看球吗", "哈哈哈哈哈", "🎉🎉🎉", "", "   ", "？", "早上好"]
)
def test_chatter_gets_no_answer(matcher: Matcher, chatter: str) -> None:
    assert matcher.decide(chatter).verdict is not Verdict.ANSWER


def test_a_4096_character_message_is_cut_for_matching_and_stays_fast(matcher: Matcher) -> None:
    huge = "积分怎么兑换礼品？" + "啊" * 2000 + "𝕏\u200b\u202e" * 600
    started = time.perf_counter()
    decision = matcher.decide(huge[:4096])
    assert time.perf_counter() - started < 0.5  # generous; `make bench` measures properly
    assert decision.best is not None and decision.best.key == 1


@pytest.fixture(scope="module")
def keys(tokenizer: Tokenizer) -> Matcher:
    """Two entries about the same thing that answer different questions."""
    m = Matcher(Normalizer(), tokenizer)
    m.add("hole", ["门锁的机械钥匙孔在哪里？"], "在门锁把手下方的盖板里，向上推开盖板即可看到。")
    m.add("spare", ["机械钥匙丢了可以补配吗？"], "可以，带上购买凭证到门店补配，每把 20 元。")
    return m


def test_an_entry_that_asks_for_something_else_scores_lower(keys: Matcher) -> None:
    """ "Where is…" and "can I…" share the words 门锁 and 机械钥匙, not the question."""
    plain = replace(keys.config, asks_penalty=0.0, unexplained_penalty=0.0)
    without = Matcher(keys._normalize, keys._tokenizer, plain)
    without.add("hole", ["门锁的机械钥匙孔在哪里？"])
    asked = "门锁的机械钥匙能放在哪里"
    assert keys.search(asked)[0].key == "hole"
    wrong_kind = "门锁的机械钥匙孔多少钱"  # asks how much, not where
    assert keys.search(wrong_kind, 1)[0].confidence < without.search(wrong_kind, 1)[0].confidence


def test_what_the_entry_never_mentions_lowers_the_confidence(keys: Matcher) -> None:
    """A question about the key hole's colour: 颜色 appears nowhere in the entry; 盖板
    appears in its answer, so asking where the cover is stays well explained."""
    colour = keys.search("机械钥匙孔是什么颜色", 2)
    cover = keys.search("机械钥匙孔的盖板在哪里", 2)
    assert colour[0].key == cover[0].key == "hole"
    assert colour[0].confidence < cover[0].confidence


def test_the_entry_that_fits_the_question_ranks_first_but_no_surer(keys: Matcher) -> None:
    """Both entries share words with the message; the one asking the same kind of
    question ranks first, and its confidence never exceeds the best word match's."""
    [first, second] = keys.search("门锁钥匙丢了在哪里补配？", 2)
    assert first.key == "spare" and second.key == "hole"
    assert 0.0 <= first.confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("门锁钥匙孔在哪里", {Asks.PLACE}),
        ("复试课几月开", {Asks.TIME}),
        ("准考证啥时候能打印", {Asks.TIME}),
        ("年卡多少钱", {Asks.AMOUNT}),
        ("怎么改密码", {Asks.WAY}),
        ("为什么扣了积分", {Asks.REASON}),
        ("积分可以提现吗", {Asks.YES_NO}),
        ("what is the difference", {Asks.WHICH}),
        ("门锁ota", set()),
    ],
)
def test_what_a_question_asks_for(text: str, kinds: set[Asks]) -> None:
    assert asks(text) == kinds


def test_an_empty_base_never_answers(tokenizer: Tokenizer) -> None:
    empty = Matcher(Normalizer(), tokenizer)
    assert empty.decide("积分怎么兑换？").verdict is Verdict.NONE


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("积分怎么兑换", True),
        ("这个能退款吗", True),
        ("what time is the live stream", True),
        ("how do I reset my password", True),
        ("好的收到", False),
        ("今天天气不错", False),
        ("thanks everyone", False),
    ],
)
def test_question_detection(text: str, question: bool) -> None:
    assert looks_like_question(text) is question


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("你好", SmallTalk.GREETING),
        ("您好，在吗？", SmallTalk.GREETING),
        ("Hi there!", SmallTalk.GREETING),
        ("@shequn_bot 你好呀", SmallTalk.GREETING),
        ("你好，我想问一下", SmallTalk.GREETING),
        ("谢谢你～", SmallTalk.THANKS),
        ("你好，谢谢", SmallTalk.THANKS),
        ("Thank you so much", SmallTalk.THANKS),
        ("哈哈哈哈", SmallTalk.CHATTER),
        ("好的收到", SmallTalk.CHATTER),
        ("👍👍", SmallTalk.CHATTER),
        ("？", SmallTalk.CHATTER),
        ("积分？", None),
        ("怎么签到", None),
        ("签到", None),
        ("你好，积分怎么兑换？", None),
        ("可以吗", None),
        ("hi, how do I reset my password?", None),
        ("history", None),
        ("在", None),
        (" ", None),
    ],
)
def test_small_talk_is_told_from_short_questions(text: str, kind: SmallTalk | None) -> None:
    assert small_talk(text) is kind


def test_small_talk_detection_stays_fast_on_tricky_input() -> None:
    started = time.perf_counter()
    for text in ("哈嘿" * 12, "hahe" * 6 + "x", "谢" * 4000):
        small_talk(text)
    assert time.perf_counter() - started < 0.5


# -- answers are always Telegram-safe ----------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "Q&A 时间 & 地点",
        "设置 > 账号 > 注销",
        "<b>粗体 <i>未闭合",
        "<script>alert(1)</script><div>块</div>",
        '<a href="https://example.com/?a=1&b=2" onclick="x()">链接</a>',
        "不换行\u00a0空格<br>下一行",
        "**Markdown** _不会_ 被解析",
        "<a href='javascript:alert(1)'>x</a>",
    ],
)
def test_sanitized_answers_pass_telegram_html_rules(answer: str) -> None:
    clean = sanitize_answer(answer)
    validate_telegram_html(clean)  # raises on anything Telegram would reject
    assert "<script" not in clean and "javascript:" not in clean


def test_sanitizing_keeps_the_allowed_formatting() -> None:
    clean = sanitize_answer('<b>Bold</b> & <a href="https://e.com">link</a>\n<code>x</code>')
    assert clean == '<b>Bold</b> &amp; <a href="https://e.com">link</a>\n<code>x</code>'


# -- files ----------------------------------------------------------------------------------


def test_every_format_round_trips(tmp_path: Path) -> None:
    rows = [
        EntryRow(
            1, "积分怎么兑换？", "在<b>积分商城</b>兑换 & 领取", "f1", ("怎么换礼品",), ("积分",)
        ),
        EntryRow(2, 'How, "quoted" | piped?', "Line one\nline two", "f2", (), (), False),
    ]
    for name in ("base.jsonl", "base.csv", "base.yaml"):
        path = tmp_path / name
        assert write_entries(path, rows) == 2
        result = read_entries(path)
        assert result.problems == []
        assert [(r.key, r.question, r.answer, r.alternatives, r.tags, r.enabled) for r in
                result.rows] == [
            (r.key, r.question, r.answer, r.alternatives, r.tags, r.enabled) for r in rows
        ]  # fmt: skip
    # A CSV opens right in Excel and WPS: it starts with a byte-order mark.
    assert (tmp_path / "base.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")


def test_a_file_may_name_alternatives_alt_as_chat_does(tmp_path: Path) -> None:
    path = tmp_path / "base.yaml"
    path.write_text("- question: 怎么改名字？\n  answer: 在设置里改。\n  alt: [改昵称, 换名字]\n")
    result = read_entries(path)
    assert result.problems == [] and result.rows[0].alternatives == ("改昵称", "换名字")
    path.write_text("- question: 问\n  answer: 答\n  alt: [甲]\n  alternatives: [乙]\n")
    assert [str(p) for p in read_entries(path).problems] == [
        "line 1: both alt and alternatives: write one of them"
    ]


def test_bad_rows_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                '{"id": "a", "question": "积分怎么兑换？", "answer": "商城"}',
                '{"id": "b", "question": "", "answer": "空问题"}',
                "not json",
                '{"id": "a", "question": "另一个", "answer": "重复 id"}',
                '{"id": "c", "question": "积分怎么兑换", "answer": "重复问题"}',
                '{"id": "d", "question": "q", "anwser": "拼错字段"}',
                '{"id": "e", "question": "好问题", "answer": "好答案", "tags": "a|b"}',
            ]
        ),
        "utf-8",
    )
    result = read_entries(path)
    assert [r.key for r in result.rows] == ["a", "e"]
    assert result.rows[1].tags == ("a", "b")
    problems = {p.line: p.message for p in result.problems}
    assert set(problems) == {2, 3, 4, 5, 6}
    assert "question is missing" in problems[2]
    assert "not valid JSON" in problems[3]
    assert "used again (first on line 1)" in problems[4]
    assert "duplicate question (same as line 1)" in problems[5]
    assert "anwser" in problems[6] and "answer is missing" in problems[6]


def test_yaml_and_csv_problems_name_the_right_lines(tmp_path: Path) -> None:
    yaml_path = tmp_path / "base.yaml"
    yaml_path.write_text(
        "- question: 好问题\n  answer: 好答案\n"
        "- question: 没有答案\n"
        "- question: 第三\n  answer: 有\n",
        "utf-8",
    )
    assert [str(p) for p in read_entries(yaml_path).problems] == [
        "line 3: answer is missing or empty"
    ]
    typed = tmp_path / "typed.yaml"
    typed.write_text(
        "- question: 年费多少？\n  answer: 299\n"
        "- question: [a, b]\n  answer: ok\n"
        "- question: 真的吗\n  answer: yes\n",
        "utf-8",
    )
    read = read_entries(typed)
    assert [row.answer for row in read.rows] == ["299"]  # a number reads as its digits
    assert [str(p) for p in read.problems] == [
        "line 3: question must be text, not a list (put it in quotes)",
        "line 5: answer must be text, not true/false (put it in quotes)",
    ]
    csv_path = tmp_path / "base.csv"
    csv_path.write_text('question,answer\n好问题,"多行\n答案"\n,没有问题\n', "utf-8")
    result = read_entries(csv_path)
    assert [p.line for p in result.problems] == [4]
    assert result.rows[0].answer == "多行\n答案"
    csv_path.write_text('question,answer\n好问题,答案\n"第二,答\n第三,答\n', "utf-8")
    assert [str(p) for p in read_entries(csv_path).problems] == [
        'line 3: broken quoting: a quote (") opens here and is never closed'
    ]


def test_unknown_formats_and_broken_yaml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="unknown format"):
        read_entries(tmp_path / "base.txt")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- question: [unclosed\n", "utf-8")
    with pytest.raises(FormatError, match="not valid YAML"):
        read_entries(broken)


def test_similar_misses_are_grouped(tokenizer: Tokenizer) -> None:
    normalize = Normalizer()
    texts = ["发票怎么开", "怎么开发票", "请问发票怎么开呀", "直播几点开始"]

    def terms(text: str) -> list[str]:
        found = tokenizer.terms(normalize(text))
        return [*found.words, *found.bigrams, *found.chars]

    clusters = cluster_texts(texts, terms)
    assert [(c.example, c.size) for c in clusters] == [("发票怎么开", 3), ("直播几点开始", 1)]


# -- the evaluation set ------------------------------------------------------------------------


def test_evaluation_set_is_well_formed() -> None:
    base = read_entries(DATA / "base.jsonl")
    queries = read_queries(DATA / "queries.jsonl")
    ids = {row.key for row in base.rows}
    assert base.problems == [] and len(base.rows) >= 100
    assert len(queries) >= 300
    assert {q.expected for q in queries if q.expected} <= ids
    assert sum(q.expected is None for q in queries) >= 50


def test_matcher_beats_the_plain_jieba_bm25_baseline(tmp_path: Path) -> None:
    ours = evaluate_files(Settings(data_dir=tmp_path), DATA / "base.jsonl", DATA / "queries.jsonl")
    queries = read_queries(DATA / "queries.jsonl")
    ranked = predict(queries, PlainBm25(DATA / "base.jsonl"), 0.0)
    plain = summarize(ranked)
    # It ranks the right entry first more often, and in the top three …
    assert ours.ranked_first > plain.top1_accuracy + 0.2
    assert ours.recall_at_3 > plain.recall_at_3 + 0.2 and ours.recall_at_3 > 0.8
    # … answers more correctly at the same risk, and keeps the calibrated one.
    assert ours.best_correct > trade_off(rescaled(ranked))[0] + 0.2
    assert ours.false_answer_rate <= 0.05


def test_eval_writes_every_prediction(tmp_path: Path) -> None:
    out = tmp_path / "predictions.jsonl"
    report = evaluate_files(
        Settings(data_dir=tmp_path), DATA / "base.jsonl", DATA / "queries.jsonl", out
    )
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == report.in_scope + report.out_of_scope + report.small_talk
    assert '"predicted_id"' in lines[0] and '"score"' in lines[0]


def test_eval_uses_the_configured_threshold(tmp_path: Path) -> None:
    strict = Settings(data_dir=tmp_path, faq={"answer_threshold": 0.99, "suggest_threshold": 0.5})
    report = evaluate_files(strict, DATA / "base.jsonl", DATA / "queries.jsonl")
    assert report.false_answer_rate == 0.0 and report.top1_accuracy < 0.2
    matcher = load_base(strict, DATA / "base.jsonl")
    assert matcher.config.answer_threshold == 0.99


@pytest.mark.parametrize("name", ["faq_home", "faq_exam", "faq_gym", "faq_cars", "faq_pets"])
def test_the_held_out_sets_are_well_formed(name: str) -> None:
    """Sets from other domains, written apart (their README): at least 150 entries and
    400 questions each, many of them in-domain questions without an entry."""
    folder = DATA.with_name(name)
    rows = read_entries(folder / "base.jsonl")
    assert not rows.problems
    ids = [row.key for row in rows.rows]
    assert len(ids) >= 150 and len(set(ids)) == len(ids)
    queries = read_queries(folder / "queries.jsonl")
    assert len(queries) >= 400
    assert {query.expected for query in queries} - {None} <= set(ids)
    assert sum(query.expected is None for query in queries) >= 150


def test_the_trade_off_compares_matchers_at_the_same_risk() -> None:
    """The best share answered correctly by one threshold whose false answers stay
    within the risk: how Shequn and the plain baselines are compared."""

    def said(expected: str | None, top: str, score: float) -> Prediction:
        return Prediction("q", expected, None, score, (top,), 0.0)

    predictions = [
        said("a", "a", 0.9),
        said("b", "b", 0.55),
        said("c", "x", 0.8),  # in scope, but the best match is wrong
        said(None, "a", 0.6),  # no entry answers these: any answer is false
        said(None, "b", 0.3),
    ]
    assert trade_off(predictions, max_false=0.0) == (1 / 3, 0.61)
    assert trade_off(predictions, max_false=0.5) == (2 / 3, 0.31)
    assert trade_off([said(None, "a", 1.0)], max_false=0.0) == (0.0, None)
    best, threshold = trade_off(predictions)  # at most 10 %: no false answer here
    report = replace(summarize(predictions), best_correct=best, best_threshold=threshold)
    assert "best trade-off: 33.3% answered correctly with at most 10% false answers" in "\n".join(
        report.lines()
    )


def test_small_talk_is_never_matched_and_left_out_of_the_false_answers() -> None:
    """As in the bot, "谢谢" and "收到" are not matched against the base, even when a
    phrasing shares their words; the false-answer rate is on questions alone."""
    asked: list[str] = []

    def scorer(text: str) -> list[tuple[str, float]]:
        asked.append(text)
        return [("delivery", 0.9)]  # sure of anything, 收到 included

    queries = [
        LabelledQuery(1, "收到", None),
        LabelledQuery(2, "谢谢大家", None),
        LabelledQuery(3, "快递到了吗", "delivery"),
        LabelledQuery(4, "快递能寄到国外吗", None),
    ]
    predictions = predict(queries, scorer, 0.5)
    assert asked == ["快递到了吗", "快递能寄到国外吗"]
    assert [p.predicted_id for p in predictions[:2]] == [None, None]
    report = summarize(predictions)
    assert (report.out_of_scope, report.small_talk) == (1, 2)
    assert report.false_answer_rate == 1.0 and report.top1_accuracy == 1.0
    assert "1 out of scope (and 2 small talk, never matched)" in report.lines()[0]
