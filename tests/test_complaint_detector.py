"""The complaint detector on its own and on the labelled sets in tests/data/complaints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jieba
import pytest

from handlers.escalation import words
from handlers.escalation.detector import Detector, Severity
from handlers.escalation.evaluation import evaluate, read_labelled, read_ordinary
from handlers.escalation.settings import DetectorSettings

DATA = Path(__file__).parent / "data" / "complaints" / "messages.jsonl"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("退款一般几天到账？", Severity.NONE),  # an inquiry, not a complaint
        ("我不是要投诉，只是问问退款流程", Severity.NONE),  # negated
        ("This is not a scam, relax", Severity.NONE),
        ("太棒了！！！谢谢老师", Severity.NONE),
        ("课件下载链接失效了，能不能靠谱点", Severity.LOW),
        ("你们不退钱我就投诉！！", Severity.HIGH),
        ("This is a scam, I want my money back!!", Severity.HIGH),
        ("你们就是骗子！我要找律师维权", Severity.CRISIS),
        ("I will report you to the regulator and go public", Severity.CRISIS),
        ("律师资格考试的课程有推荐吗？", Severity.NONE),  # crisis words in a calm question
    ],
)
def test_grades(detector: Detector, text: str, severity: Severity) -> None:
    assert detector.grade(text).severity is severity


def test_traditional_characters_and_full_width_are_folded(detector: Detector) -> None:
    assert detector.grade("你們就是騙子！我要找律師").severity is Severity.CRISIS


def test_persistence_and_spread_raise_the_grade(detector: Detector) -> None:
    text = "课件下载链接失效了，能不能靠谱点"
    assert detector.grade(text).severity is Severity.LOW
    assert detector.grade(text, repeats=2).severity is Severity.HIGH
    assert detector.grade(text, others=3).severity is Severity.HIGH


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("app 又闪退了，好烦", Severity.LOW),  # a nuisance to one member
        ("花了1999买的课，一半章节打不开", Severity.HIGH),  # money paid
        ("Paid $299 and half the videos won't load", Severity.HIGH),
        ("我们宿舍四个人都打不开课程", Severity.HIGH),  # several people affected
        ("At least six of us can't access the course", Severity.HIGH),
        ("花了多少钱？", Severity.NONE),  # money alone is no complaint
    ],
)
def test_money_lost_or_several_affected_is_serious(
    detector: Detector, text: str, severity: Severity
) -> None:
    assert detector.grade(text).severity is severity


def test_operators_add_signs_of_harm() -> None:
    text = "押金到现在都没退，太慢了"
    assert Detector().grade(text).severity is Severity.LOW
    tuned = Detector(DetectorSettings(harm_terms=["押金"]))
    assert tuned.grade(text).severity is Severity.HIGH


def test_the_terms_that_counted_are_named(detector: Detector) -> None:
    verdict = detector.grade("你们就是骗子！我要找律师")
    assert "骗子" in verdict.terms and "律师" in verdict.terms and "骗" not in verdict.terms


def test_odd_and_huge_input(detector: Detector) -> None:
    assert detector.grade("").severity is Severity.NONE
    assert detector.grade("🙂" * 3000).severity is Severity.NONE
    assert detector.grade("骗子" + "\u202e\u200b" * 5000).is_complaint


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("新键盘的多媒体键又坏了，你们管不管", "媒体"),  # 多媒体 is not 媒体 (the media)
        ("这次考试成绩不理想，下次加油", "不理"),  # 不理想 is not 不理 (ignored)
        ("麻烦老师看一下我的作业", "烦"),  # 麻烦 (would you) is not 烦 (annoyed)
        ("刚入坑这个游戏，好上头", "坑"),  # a harmless word that jieba leaves apart
        ("警察叔叔来讲防诈骗，很有意思", "诈骗"),
    ],
)
def test_a_term_inside_another_word_does_not_count(
    detector: Detector, text: str, term: str
) -> None:
    verdict = detector.grade(text)
    assert term not in verdict.terms
    assert verdict.severity < Severity.CRISIS


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("app 又闪退了，好烦", "烦"),  # jieba fuses 好烦, 烦死, 坑惨: affixes leave the term
        ("视频一直打不开，烦死了", "烦"),
        ("被你们坑惨了", "坑"),
        ("坑惨了", "坑"),
        ("客服不理我", "不理"),
        ("这个骗局谁信啊", "骗"),  # a known compound that keeps the meaning
        ("下次再也不住了", "再也不"),  # runs into the verb it negates
    ],
)
def test_a_term_with_affixes_still_counts(detector: Detector, text: str, term: str) -> None:
    verdict = detector.grade(text)
    assert verdict.is_complaint and term in verdict.terms


@pytest.mark.parametrize(
    "text",
    [
        "一直很喜欢这个群的氛围",
        "每次打卡都能学到新东西",
        "还没吃饭呢，饿",
        "到底选哪门课好呢",
        "每次都这样！！！",  # exclamation marks add only to a complaint
        "一直花了很多时间在学习上",  # money words add only to a complaint
        "Again, thanks everyone for coming!",
    ],
)
def test_light_terms_alone_are_no_complaint(detector: Detector, text: str) -> None:
    assert detector.grade(text).severity is Severity.NONE


def test_light_terms_add_to_a_telling_one(detector: Detector) -> None:
    assert detector.grade("视频打不开").severity is Severity.NONE  # 1.5 points
    verdict = detector.grade("视频一直打不开")
    assert verdict.severity is Severity.LOW and "一直" in verdict.terms


@pytest.mark.parametrize(
    "text",
    [
        "昨晚追的剧里那个律师太帅了",  # a drama about a lawyer
        "我已经看完律师剧第二季了",  # an intent, but nothing aimed at anyone
        "准备去法院实习了，有点紧张",
        "12315的电话是多少",
        "今天老师讲的维权知识很实用",
        "I just watched a great lawyer drama",
        "My sister is a journalist",
    ],
)
def test_a_crisis_word_alone_is_a_topic(detector: Detector, text: str) -> None:
    assert detector.grade(text).severity is Severity.NONE


@pytest.mark.parametrize(
    "text",
    [
        "再不退款我就去12315投诉你们",  # a complaint, and an intent
        "我要去12315",  # an intent and an act
        "已经报警了，你们就等着吧",  # an intent, the community addressed
        "已经联系了记者，这事媒体会报道的",  # an intent, two crisis terms
        "If I don't get a refund by Friday I'm talking to my lawyer",
    ],
)
def test_a_crisis_takes_a_crisis_word_and_another_signal(detector: Detector, text: str) -> None:
    assert detector.grade(text).severity is Severity.CRISIS


def test_laughter_after_a_complaint_word_is_a_joke(detector: Detector) -> None:
    assert detector.grade("气死我了，游戏又输了哈哈哈").severity is Severity.NONE
    # Praise before the complaint is often sarcasm: it counts half.
    assert detector.grade("真是好服务啊，等了三天没人理").is_complaint


def test_a_stated_wait_is_a_telling_term(detector: Detector) -> None:
    assert detector.grade("排队等了一个小时").severity is Severity.NONE
    assert detector.grade("审核等了三天还没通过").severity is Severity.LOW


def test_a_mood_needs_something_to_be_about(detector: Detector) -> None:
    """烦, 失望, hate say how someone feels: a complaint only about the community's
    service (课程, app, 你们) or next to another telling term."""
    for text in ("下雨天真烦人，鞋都湿了", "考试没考好，有点失望", "I hate rainy days"):
        assert detector.grade(text).severity is Severity.NONE, text
    for text in ("这节课讲得太水了，有点失望", "app 老是推送通知，烦死了", "I hate this app"):
        assert detector.grade(text).is_complaint, text


def test_a_price_elsewhere_in_a_long_message_is_no_harm(detector: Detector) -> None:
    text = "会员一年199元，活动也多。最近直播有时卡顿，体验很差。"
    assert detector.grade(text).severity is Severity.LOW
    assert detector.grade("直播有时卡顿，体验很差，一年199元呢").severity is Severity.HIGH


def test_segmentation_uses_its_own_jieba(detector: Detector) -> None:
    detector.grade("没人理我")
    tokenizer = words.segmenter(detector._dictionary)
    assert tokenizer is not jieba.dt and "没人理" in tokenizer.FREQ
    assert "没人理" not in jieba.dt.FREQ  # the global dictionary stays as it was
    assert words.segmenter(Detector()._dictionary) is tokenizer  # loaded once


def test_the_held_out_set_keeps_false_alarms_rare(detector: Detector) -> None:
    """Messages never used for tuning: what a community can expect before adding its
    own terms. Precision stays high; recall is lower than on the tuning set."""
    report = evaluate(detector, read_labelled(DATA.with_name("holdout.jsonl")))
    assert report.messages == 100
    assert report.precision >= 0.88
    assert report.recall >= 0.46
    serious = sum(n for (a, f), n in report.confusion.items() if a == "high" and f == "high")
    assert serious >= 5  # money lost or several affected: serious, not minor


@pytest.mark.xfail(strict=True, reason="the issue's target; the detector catches 29 of 60")
def test_the_held_out_recall_target(detector: Detector) -> None:
    report = evaluate(detector, read_labelled(DATA.with_name("holdout.jsonl")))
    assert report.recall >= 0.533


def test_the_second_held_out_set(detector: Detector) -> None:
    """300 messages written apart, never tuned on (tests/data/complaints/README.md)."""
    report = evaluate(detector, read_labelled(DATA.with_name("holdout2.jsonl")))
    assert report.messages == 300
    assert report.precision >= 0.92
    assert report.recall >= 0.40
    assert report.severity_accuracy >= 0.46
    assert report.alarms["crisis"] <= 1


def test_ordinary_chatter_rarely_opens_a_ticket(detector: Detector) -> None:
    """1,200 ordinary messages written apart, never tuned on: few tickets, no crisis."""
    report = evaluate(detector, read_ordinary(DATA.with_name("chatter_holdout.jsonl")))
    alarms = report.alarms
    assert alarms["ordinary"] == 1200
    assert alarms["crisis"] == 0
    assert alarms["serious"] <= 2
    assert alarms["ticket"] <= 15  # 1.25 %


@pytest.mark.xfail(strict=True, reason="the issue's target; 13 of 1,200 open a ticket")
def test_the_chatter_target(detector: Detector) -> None:
    report = evaluate(detector, read_ordinary(DATA.with_name("chatter_holdout.jsonl")))
    assert report.alarms["ticket"] <= 12


def test_precision_and_recall_on_the_labelled_set(detector: Detector) -> None:
    rows = read_labelled(DATA)
    assert len(rows) >= 200
    assert {row.language for row in rows} == {"zh", "en"}
    report = evaluate(detector, rows)
    assert report.precision >= 0.92
    assert report.recall >= 0.80
    assert report.severity_accuracy >= 0.82


def test_the_cli_measures_the_configured_detector(run: Any, tmp_path: Path) -> None:
    labelled = tmp_path / "mine.jsonl"
    rows = [
        {"text": "又在割韭菜", "severity": "low", "lang": "zh"},
        {"text": "骗子！我要投诉！！", "severity": "high", "lang": "zh"},
        {"text": "今天的分享很棒", "severity": "none", "lang": "zh"},
    ]
    labelled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    code, out = run("complaints", "eval", str(labelled), "--json")
    assert code == 0, out
    assert json.loads(out)["messages"] == 3
    config = tmp_path / "shequn.toml"
    config.write_text('[escalation.detector]\ncomplaint_terms = { "割韭菜" = 3.0 }\n', "utf-8")
    code, tuned = run("complaints", "eval", str(labelled), "--config", str(config), "--json")
    assert code == 0, tuned
    assert json.loads(tuned)["recall"] > json.loads(out)["recall"]
    code, text = run("complaints", "eval", str(labelled))
    assert "labelled \\ found" in text and "precision" in text
    labelled.write_text('{"text": "x", "severity": "meh"}\n', "utf-8")
    code, out = run("complaints", "eval", str(labelled))
    assert code == 2 and "line 1" in out
    code, out = run("complaints", "eval", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot evaluate" in out


def test_the_cli_counts_false_alarms_on_ordinary_messages(run: Any, tmp_path: Path) -> None:
    ordinary = tmp_path / "chatter.txt"
    lines = ["今天的分享很棒", '{"text": "多媒体键很好用"}', "你们就是骗子！我要找律师维权", ""]
    ordinary.write_text("\n".join(lines), "utf-8")
    code, out = run("complaints", "eval", str(ordinary), "--ordinary", "--json")
    assert code == 0, out
    assert json.loads(out)["false_alarms"] == {
        "ordinary": 3,
        "ticket": 1,
        "serious": 1,
        "crisis": 1,
    }
    code, text = run("complaints", "eval", str(ordinary), "--ordinary")
    assert "false alarms: 1 of 3 ordinary messages (33.3%)" in text
    assert "precision" not in text  # no complaint among them to measure


def test_operators_name_their_own_products_for_mood_complaints() -> None:
    text = "这个小程序又转圈圈了，真烦"
    assert Detector().grade("今天下雨真烦").severity is Severity.NONE  # a mood about nothing
    assert not Detector().grade(text).is_complaint  # 小程序 is not a built-in subject
    tuned = Detector(DetectorSettings(service_terms=["小程序"]))
    assert tuned.grade(text).is_complaint


def test_a_members_repeated_complaints_raise_the_grade_but_never_to_a_crisis(
    detector: Detector,
) -> None:
    mild = "又打不开了，太差了"
    assert detector.grade(mild).severity is Severity.LOW
    assert detector.grade(mild, repeats=2).severity is Severity.HIGH
    serious = "又打不开了，已经第三次了，太差了！扣了钱还用不了"
    assert detector.grade(serious).severity is Severity.HIGH
    assert detector.grade(serious, repeats=2).severity is Severity.HIGH  # not a crisis alone
    assert detector.grade(serious, others=2).severity is Severity.CRISIS  # several members
