"""The complaint detector: the lexicon's rules on their own, and the shipped detector
(lexicon and model) on the labelled sets in tests/data/complaints."""

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


#: The lexicon alone: its rules are tested without the model's second opinion.
LEXICON = DetectorSettings(model=False)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(LEXICON)


@pytest.fixture(scope="module")
def shipped() -> Detector:
    """The detector as it runs by default: the lexicon with the built-in model."""
    return Detector()


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("退款一般几天到账？", Severity.NONE),  # an inquiry, not a complaint
        ("狗：我要报警了", Severity.NONE),  # someone else's words (a caption), not a threat
        ("我妈：你再这样我要报警了", Severity.NONE),
        ("上次房东不退押金，我打了12315第三天就退回来了", Severity.NONE),  # a step that worked
        ("我已经打了12315，你们才退了一半，剩下的呢", Severity.CRISIS),  # addressed: a threat
        ("客服：请耐心等待\n我已经报警了，你们骗钱", Severity.CRISIS),  # the writer's own line
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
    text = "礼品卡到现在都没退，太慢了"
    assert Detector(LEXICON).grade(text).severity is Severity.LOW
    tuned = Detector(DetectorSettings(model=False, harm_terms=["礼品卡"]))
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
        ("这次活动坑惨了", "坑"),  # a mood, about the community's event
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


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("电梯坏了，爬了十八楼", Severity.NONE),  # a problem about nothing of ours
        ("课件下载链接坏了", Severity.LOW),  # about the service
        ("刚买的耳机坏了", Severity.LOW),  # about goods bought
        ("表带戴了两周就起毛了", Severity.LOW),  # goods failing soon after use
        ("表带起毛了，有点失望", Severity.LOW),  # a mood about a problem
        ("Strap started fraying, bit disappointed", Severity.LOW),
        ("减肥一个月了还没瘦", Severity.NONE),  # overdue, but nothing of ours
        ("发票申请提交一周了还没开出来", Severity.LOW),
        ("今天比昨天冷多了", Severity.NONE),  # worse, but nothing of ours
        ("这批课件比上次少了好多", Severity.LOW),
        ("今年冬天跟往年不一样", Severity.NONE),
        ("口红色号跟图片差得有点多", Severity.LOW),  # unlike what was shown
        ("说好的早睡，结果又熬夜了", Severity.NONE),
        ("说好的周三发货，结果今天都周六了", Severity.LOW),  # a promise broken
        ("排队等了一个小时", Severity.NONE),
        ("配送说30分钟，等了一个多小时", Severity.LOW),  # a wait for the service
    ],
)
def test_problems_need_something_to_be_about(
    detector: Detector, text: str, severity: Severity
) -> None:
    """Problems (坏了, 起毛) and shapes of them (一周了还没…, 比上次少, 跟图片差得…,
    说好的…结果) count about the community's service or goods, or with a mood."""
    assert detector.grade(text).severity is severity


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("这款面霜用着不太喜欢", Severity.LOW),
        ("Joggers started pilling, not great for the price", Severity.LOW),
        ("我不喜欢下雨天", Severity.NONE),  # a mood about nothing of ours
        ("这个键盘好不好用？", Severity.NONE),  # asked, not denied
        ("有没有推荐的课程", Severity.NONE),
    ],
)
def test_praise_denied_is_a_mood(detector: Detector, text: str, severity: Severity) -> None:
    assert detector.grade(text).severity is severity


@pytest.mark.parametrize(
    "text",
    [
        "我同事被电信诈骗了，报警后钱追回一部分，大家注意别乱点链接",
        "刚刷到新闻说有人打12315投诉一家奶茶店",
        "笑死，我儿子说他们班主任要去教育局投诉他作业太多",
        "My friend got scammed by a fake parcel SMS, reported it to police",
        "哈哈哈这天气真的要投诉老天爷",
        "我要曝光一下我老公，他偷偷把我面膜拿去用了",
        "自我吐槽：又没忍住买了第三个保温杯",
        "最近失眠严重，骂了自己一百遍",
        "我又忘记打卡了，气死我了",
        "孩子说老师“骗人”，因为说好下课玩游戏结果拖堂了",
        "年会节目我们部门演了个小品，叫《投诉热线》，笑翻全场",
        "如果对课程不满意可以申请退款吗？",
        "刚刚以为被扣了两次费，原来是冻结金额，虚惊一场",
        "I thought the video was broken but it was my VPN, all good now",
        "没有不满哈，就是想确认下续费价格",
        "骗子短信又来了，直接删了",
        "Got a scam text about my parcel, blocked it",
    ],
)
def test_what_is_not_the_writers_complaint(detector: Detector, text: str) -> None:
    """Told of others (有人, 我同事, news, my friend, the weather), about oneself, quoted,
    supposed (如果), taken back (虚惊一场), denied (没有不满), or a scammer's message."""
    assert detector.grade(text).severity is Severity.NONE


@pytest.mark.parametrize(
    "text",
    [
        "我朋友在你们这买的课，到现在还没开通",  # a story of others, told to the community
        "我家孩子的网课一直打不开，急死了",  # a child's course, not a story of the child
        "一直没有退款，客服也不回",  # 没有 before what is missing is no denial
        "群里的姐妹们，你们的返现到了吗？我的说好两周，现在两个月了，一直拖",
    ],
)
def test_the_community_addressed_is_still_a_complaint(detector: Detector, text: str) -> None:
    assert detector.grade(text).is_complaint


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("你们家的电热水壶把手融化了，烫伤了我妈的手", Severity.CRISIS),
        ("刚买的充电宝充电的时候冒烟了，吓死", Severity.CRISIS),
        ("The kettle handle melted and burned my mom's hand", Severity.CRISIS),
        ("你们的骑行头盔一摔就裂成两半，我朋友头缝了八针", Severity.CRISIS),
        ("我奶奶住院了，这周可能没法打卡", Severity.NONE),  # nothing of ours involved
        ("我妈骨折了，这周的课请假", Severity.NONE),  # a course is not what hurt her
        ("Broke my leg skiing, will miss the next few sessions", Severity.NONE),
        ("我在你们App上的聊天记录被别人看到了，这是严重的隐私泄露", Severity.CRISIS),
        ("新闻说某电商平台数据泄露，大家改下密码", Severity.NONE),  # told of others
        ("刚看到新闻，某品牌电动车电池起火了，大家充电注意安全", Severity.NONE),
        ("The privacy settings page is where you hide your profile, right?", Severity.NONE),
    ],
)
def test_an_incident_is_a_crisis_where_it_concerns_the_community(
    detector: Detector, text: str, severity: Severity
) -> None:
    """Safety incidents need the community's goods involved; privacy breaches its service."""
    assert detector.grade(text).severity is severity


@pytest.mark.parametrize(
    "text",
    [
        "我已经在微博上发了，转发破万了，你们自己看着办",  # a threat, whatever the points
        "再拖下去就法院见，证据我都留着",  # an act, evidence kept
        "消协那边我已经打过电话了",  # the act first, then the intent
        "不退是吧？行，我明天就去你们公司楼下拉横幅",  # a threat is not a calm question
        "If I don't get my refund by Friday I'm filing with the consumer protection agency",
        "有没有被骗的加我，我们找律师一起起诉",  # 有没有 asks: no negation
        "明天发抖音曝光",  # a platform with an act of exposure
        "法庭见",  # the act and the intent in one
        "律师函等着吧",  # a warning after the act
        "找媒体曝光你们",  # the way to the act, said as an order
        "发小红书曝光",
        "大家一起维权",  # a call to act together
        "legal action starts monday",  # English puts the step after the act
        "Chargeback filed, lawyers next",
        "my lawyer will be in touch",
    ],
)
def test_threats_are_crises(detector: Detector, text: str) -> None:
    assert detector.grade(text).severity is Severity.CRISIS


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("我的身份证被公开了", Severity.CRISIS),  # the member's own data, told to us
        ("我的个人信息泄露了", Severity.CRISIS),
        ("别人能看到我的地址", Severity.CRISIS),
        ("买的零食吃坏肚子了", Severity.CRISIS),
        ("大家都能看到我的新头像吗", Severity.NONE),  # no personal data
        ("我发抖音的时候看到一个曝光视频", Severity.NONE),  # the platform is not the way
        ("大家一起去看律师剧吧", Severity.NONE),  # a lawyer is a topic
        ("my lawyer is on holiday next week lol", Severity.NONE),
    ],
)
def test_short_threats_and_incidents(detector: Detector, text: str, severity: Severity) -> None:
    assert detector.grade(text).severity is severity


@pytest.mark.parametrize(
    "text",
    [
        "我已经在小红书上发了攻略，你们可以去看",  # a platform is an everyday topic
        "我已经在小红书和抖音上发了攻略",
        "报警要准备证据吗",  # an act and evidence, but nothing kept, nothing done
        "你们看着办吧，我都行",
    ],
)
def test_platforms_and_questions_are_no_threat(detector: Detector, text: str) -> None:
    assert detector.grade(text).severity is Severity.NONE


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("宣传说一对一辅导，结果就是群发录播，这不是骗人吗", Severity.HIGH),  # cheating
        ("退款申请被驳回了，理由很离谱", Severity.HIGH),  # a refusal
        ("换货换了三次都是坏的", Severity.HIGH),  # failing again and again
        ("三千块的课买了，老师一次都没见到，气哭了", Severity.HIGH),  # money, in words
        ("Left earbud keeps disconnecting, kinda annoying", Severity.LOW),  # moods, problems
        ("真是好服务啊，等了三天没人理", Severity.LOW),  # 等了三天 and 三天没 count once
    ],
)
def test_what_makes_a_complaint_serious(detector: Detector, text: str, severity: Severity) -> None:
    assert detector.grade(text).severity is severity


def test_operators_name_their_goods_for_incidents() -> None:
    text = "小夜灯用着用着冒烟了"
    assert Detector(LEXICON).grade(text).severity is Severity.NONE
    tuned = Detector(DetectorSettings(model=False, service_terms=["小夜灯"]))
    assert tuned.grade(text).severity is Severity.CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "耳机断连了一下，重新配对就好了",  # a problem that went away
        "支付时页面卡住了，我刚才等了一下就好了",
        "The video stream froze and was laggy for a minute but works now",
        "耳机断连了一下，应该是我蓝牙的问题",  # one's own fault
        "Sorry for the spam earlier, wrong chat 😅",
        "会员升级到金卡了，终于可以免费延迟退房",  # 卡了 across 金卡
        "快递有点慢，估计是双十一量太大，不着急，慢慢等",
        "北海公园的荷花开了，美得不像话",  # an intensifier, not 不像话
        "今天被客户夸了，说我们的服务很专业，一天的疲惫都没了",  # gone, not overdue
        "规则书看了半小时还没看懂，直接上手玩吧",  # one's own pace
        "白茶有一年茶三年药七年宝的说法，存好了确实会变化",  # 说法 is a saying
        "今天跑崩了，后半程腿像灌了铅",  # 崩了 with nothing of ours
        "脱口秀演员吐槽上班那段，我差点以为在说我",
        "刚看了个视频，讲的是怎么识别网购骗局，挺有用的，转给大家",
    ],
)
def test_what_went_away_or_was_ones_own_is_no_complaint(detector: Detector, text: str) -> None:
    assert detector.grade(text).severity is Severity.NONE


@pytest.mark.parametrize(
    "text",
    [
        "积分兑换页面又崩了，到现在也没恢复",
        "客服两个人给了两个说法，到底哪个对",
        "一单扣了我两次款，客服到现在也没给个说法",
        "是我的问题吗？你们的课程链接一直打不开",  # a rhetorical question, not a fault owned
        "App崩了三次，重启也没好",
    ],
)
def test_problems_that_stay_are_complaints(detector: Detector, text: str) -> None:
    assert detector.grade(text).is_complaint


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
    assert report.precision >= 0.95
    assert report.recall >= 0.60
    assert report.severity_accuracy >= 0.70
    serious = sum(n for (a, f), n in report.confusion.items() if a == "high" and f == "high")
    assert serious >= 10  # money lost, several affected, cheating: serious, not minor


def test_the_held_out_recall_target(detector: Detector) -> None:
    """The issue's target: recall no lower than the 53.3 % before the word rules."""
    report = evaluate(detector, read_labelled(DATA.with_name("holdout.jsonl")))
    assert report.recall >= 0.533


def test_the_second_held_out_set(detector: Detector) -> None:
    """300 messages written apart, never tuned on (tests/data/complaints/README.md)."""
    report = evaluate(detector, read_labelled(DATA.with_name("holdout2.jsonl")))
    assert report.messages == 300
    assert report.precision >= 0.95
    assert report.recall >= 0.57
    assert report.severity_accuracy >= 0.62
    assert report.alarms["crisis"] == 0


def test_the_third_held_out_set_keeps_the_recall_target(detector: Detector) -> None:
    """300 messages written apart and measured once, never tuned on: recall no lower than
    before the word rules (45.7 % then; 59.0 % now), precision high, no false crisis."""
    report = evaluate(detector, read_labelled(DATA.with_name("complaints5.jsonl")))
    assert report.messages == 300
    assert report.recall >= 0.59
    assert report.precision >= 0.92
    assert report.alarms["crisis"] <= 1  # one ordinary message of the 90 (as measured)


def test_held_out_chatter_rarely_opens_a_ticket(detector: Detector) -> None:
    """1,500 ordinary messages written apart and measured once, a fifth of them hard
    (complaint and crisis words in everyday senses): 43 tickets and 1 crisis (133 and 44
    before the word rules)."""
    alarms = evaluate(detector, read_ordinary(DATA.with_name("chatter5.jsonl"))).alarms
    assert alarms["ordinary"] == 1500
    assert alarms["ticket"] <= 43
    assert alarms["serious"] <= 20
    assert alarms["crisis"] <= 1


def test_the_newest_held_out_sets_with_the_model(shipped: Detector) -> None:
    """Written apart and measured once, after the model was built: the shipped detector
    on messages neither the lexicon nor the model ever saw. The lexicon alone found 54.3 %
    of the complaints and raised 53 tickets (9 crises) on the chatter."""
    report = evaluate(shipped, read_labelled(DATA.with_name("complaints8.jsonl")))
    assert report.messages == 300
    assert report.recall >= 0.804  # 80.5 %; the issue: no lower than before (54.3 %)
    assert report.precision >= 0.99
    alarms = evaluate(shipped, read_ordinary(DATA.with_name("chatter8.jsonl"))).alarms
    assert alarms["ordinary"] == 1500
    assert alarms["ticket"] <= 16  # 18 before the veto, which it helped tune
    assert alarms["serious"] <= 7
    assert alarms["crisis"] == 0  # the target: no crisis page


def test_the_seventh_held_out_sets_with_the_model(shipped: Detector) -> None:
    """Written apart by four people, each given one community's domain and the format,
    measured once on the detector as shipped and never read for their errors; messages
    that repeat a training message word for word were taken out first (45 and 1). The
    lexicon alone: 52.6 % recall, 76 tickets and 5 crises on the chatter."""
    report = evaluate(shipped, read_labelled(DATA.with_name("complaints9.jsonl")))
    assert report.messages == 299
    assert report.recall >= 0.775  # 77.5 %
    assert report.precision >= 0.99
    alarms = evaluate(shipped, read_ordinary(DATA.with_name("chatter9.jsonl"))).alarms
    assert alarms["ordinary"] == 1955
    # Measured once: 15 tickets (0.77 %), 6 serious, 1 crisis. That crisis (a caption
    # giving a dog's words, 狗：我要报警了) was then read and reported speech stopped
    # counting as a threat, so for crises this set is a development set now.
    assert alarms["ticket"] <= 13  # 14 before the veto, which it helped tune
    assert alarms["serious"] <= 4
    assert alarms["crisis"] == 0


def test_the_eighth_held_out_chatter(shipped: Detector) -> None:
    """976 ordinary messages from two more communities (a book club, a game's players),
    written after the reported-speech rule and measured once: no crisis (the lexicon
    alone: 44 tickets, 10 crises), but 14 tickets, 1.4 %; 11 after the veto."""
    alarms = evaluate(shipped, read_ordinary(DATA.with_name("chatter10.jsonl"))).alarms
    assert alarms["ordinary"] == 976
    assert alarms["ticket"] <= 11  # 14 before the veto, which it helped tune
    assert alarms["serious"] <= 4
    assert alarms["crisis"] == 0


def test_the_ninth_held_out_sets_with_the_veto(shipped: Detector) -> None:
    """Written apart for five more communities (a photography club, language learners,
    electric-car owners; then cooking and an indie game's players) and measured once:
    complaints10 and chatter11 after the model's veto, chatter12 after the settled-matter
    rule as well. chatter11's one crisis (打了12315第二天就退了, a step that worked,
    told) was read and fixed, so for crises it is a development set now. The lexicon
    alone: 50.5 % recall; 60 and 32 tickets, 4 and 3 crises on the chatter."""
    report = evaluate(shipped, read_labelled(DATA.with_name("complaints10.jsonl")))
    assert report.messages == 299
    assert report.recall >= 0.738  # 73.8 %, the same as before the veto
    assert report.precision >= 0.974  # 97.5 %
    alarms = evaluate(shipped, read_ordinary(DATA.with_name("chatter11.jsonl"))).alarms
    assert alarms["ordinary"] == 1372
    assert alarms["ticket"] <= 13  # 0.95 %
    assert alarms["serious"] <= 3
    assert alarms["crisis"] == 0
    alarms = evaluate(shipped, read_ordinary(DATA.with_name("chatter12.jsonl"))).alarms
    assert alarms["ordinary"] == 1003
    assert alarms["ticket"] <= 5  # 0.50 %
    assert alarms["serious"] == 0
    assert alarms["crisis"] == 0


def test_the_short_english_held_out_sets(shipped: Detector) -> None:
    """150 short English complaints and 400 ordinary messages from a climbing gym and a
    mobile game, written apart and measured once (README): few false alarms, but most
    short English complaints from communities nobody tuned for are missed (25.3 %)."""
    report = evaluate(shipped, read_labelled(DATA.with_name("complaints12.jsonl")))
    assert report.messages == 150
    assert report.recall >= 0.253
    assert report.precision >= 0.99
    alarms = evaluate(shipped, read_ordinary(DATA.with_name("chatter14.jsonl"))).alarms
    assert alarms["ordinary"] == 400
    assert alarms["ticket"] <= 3
    assert alarms["crisis"] == 0


def test_the_chatter_target(shipped: Detector) -> None:
    """The issue's target, over the chatter written after the veto (chatter8-10 were
    18, 14 and 14 tickets before it, 1.04 %, and tuned the veto): at most 1 % open a
    ticket and none pages the leads. Measured: 18 of 2,375 (0.76 %), no crisis."""
    alarms = [
        evaluate(shipped, read_ordinary(DATA.with_name(name))).alarms
        for name in ("chatter11.jsonl", "chatter12.jsonl")
    ]
    assert sum(a["ticket"] for a in alarms) <= 0.01 * sum(a["ordinary"] for a in alarms)
    assert sum(a["crisis"] for a in alarms) == 0


def test_precision_and_recall_on_the_labelled_set(detector: Detector) -> None:
    rows = read_labelled(DATA)
    assert len(rows) >= 200
    assert {row.language for row in rows} == {"zh", "en"}
    report = evaluate(detector, rows)
    assert report.precision >= 0.97
    assert report.recall >= 0.90
    assert report.severity_accuracy >= 0.92


def test_the_development_sets(detector: Detector) -> None:
    """500 labelled and 1,000 ordinary messages written for tuning the detector
    (tests/data/complaints/README.md): the figures it reached on them, as floors."""
    rows = read_labelled(DATA.with_name("dev_complaints.jsonl"))
    assert len(rows) == 500
    report = evaluate(detector, rows)
    assert report.precision >= 0.97
    assert report.recall >= 0.84
    assert report.severity_accuracy >= 0.83
    assert report.alarms["crisis"] == 0
    chatter = evaluate(detector, read_ordinary(DATA.with_name("dev_chatter.jsonl"))).alarms
    assert chatter["ordinary"] == 1000
    assert chatter["ticket"] == 0
    assert chatter["crisis"] == 0


def test_the_held_out_sets_tuned_on_after_their_measurement(detector: Detector) -> None:
    """Written apart and measured once (tests/data/complaints/README.md), then their
    errors were read and the rules adjusted: development sets now, kept as floors."""
    chatter = evaluate(detector, read_ordinary(DATA.with_name("chatter_holdout.jsonl"))).alarms
    assert chatter["ordinary"] == 1200
    assert chatter["ticket"] <= 4  # 16 when measured
    assert chatter["crisis"] == 0
    chatter = evaluate(detector, read_ordinary(DATA.with_name("chatter4.jsonl"))).alarms
    assert chatter["ordinary"] == 1500
    assert chatter["ticket"] <= 12  # 40 when measured
    assert chatter["crisis"] == 0  # 3 when measured
    report = evaluate(detector, read_labelled(DATA.with_name("complaints4.jsonl")))
    assert report.messages == 300
    assert report.recall >= 0.57  # 57.6 % when measured
    assert report.precision >= 0.95


def test_the_cli_measures_the_configured_detector(run: Any, tmp_path: Path) -> None:
    labelled = tmp_path / "mine.jsonl"
    rows = [
        {"text": "又在画大饼", "severity": "low", "lang": "zh"},
        {"text": "骗子！我要投诉！！", "severity": "high", "lang": "zh"},
        {"text": "今天的分享很棒", "severity": "none", "lang": "zh"},
    ]
    labelled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    lexicon = tmp_path / "lexicon.toml"
    lexicon.write_text("[escalation.detector]\nmodel = false\n", "utf-8")
    code, out = run("complaints", "eval", str(labelled), "--config", str(lexicon), "--json")
    assert code == 0, out
    assert json.loads(out)["messages"] == 3
    config = tmp_path / "shequn.toml"
    config.write_text(
        '[escalation.detector]\nmodel = false\ncomplaint_terms = { "画大饼" = 3.0 }\n', "utf-8"
    )
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
    text = "这个小组件又不动了，真烦"
    assert Detector(LEXICON).grade("今天下雨真烦").severity is Severity.NONE  # a mood about nothing
    assert not Detector(LEXICON).grade(text).is_complaint  # 小组件 is not a built-in subject
    tuned = Detector(DetectorSettings(model=False, service_terms=["小组件"]))
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
