"""Spotting complaints in group messages and grading them: none, low (一般),
high (重大) or crisis (危机).

A lexicon classifier, deliberately simple to explain to operators: terms
score points where they stand as words (words.py: 多媒体 is not 媒体), are not
negated right before ("不是要投诉", "没有不满") and are not told of someone else
(我同事被骗了, my friend got scammed) or quoted. Light terms (一直, 每次, again)
only add to a telling one; moods and problems (烦, 坏了, 有点失望) need
something to be about (the community's service or goods, or another telling
term); a crisis takes two signals: a crisis word in a complaint or a threat
(never in someone else's quoted words), or a safety or privacy incident linked to
the community. Calm questions and
praise weigh less; exclamation marks and shouting weigh more; money lost,
several people affected, repeated failures, accusations of cheating and
refusals make a complaint serious; a member complaining again, or several
members at once, raise the grade. Thresholds and terms come from config.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import NamedTuple

import opencc

from handlers.escalation import lexicon
from handlers.escalation.model import ComplaintModel
from handlers.escalation.settings import DetectorSettings
from handlers.escalation.words import Words


class Severity(IntEnum):
    NONE = 0
    LOW = 1
    HIGH = 2
    CRISIS = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Verdict:
    severity: Severity
    score: float
    #: The terms that counted, for the ticket and for operators tuning the lexicon.
    terms: tuple[str, ...] = ()
    #: The message praises something too (房间本身很好): mixed feedback, a review.
    praised: bool = False

    @property
    def is_complaint(self) -> bool:
        return self.severity is not Severity.NONE


#: Lexicon evidence this strong is not overruled by the model ("This is a scam, I want my
#: money back!!" is a complaint whatever short-text statistics say); nor is a crisis this
#: strong ("你们就是骗子！我要找律师维权") made merely serious.
LEXICON_SURE = 8.0
CRISIS_SURE = 12.0
#: A message shorter than this says too little for the model to overrule the lexicon
#: ("我要去12315"); one without Chinese, fewer words than MODEL_MIN_WORDS ("I will sue
#: you", "This is a scam": ten characters of English are two words).
MODEL_MIN_CHARS = 10
MODEL_MIN_WORDS = 5
MODEL_MIN_INCIDENT_WORDS = 10
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

#: Terms this telling (退款, 骗, refund…) name a subject; lighter ones only intensify.
SUBJECT_WEIGHT = 1.5

#: Terms this light (一直, 每次, again) are intensifiers: they only add to a telling term.
INTENSIFIER_WEIGHT = 1.0

#: Points of a problem found by its shape: a stated wait (等了两个小时), something overdue
#: (一周了还没开出来, it's been 3 weeks), a change for the worse (比上次慢, 没上次好喝),
#: goods unlike their description (跟图片差得有点多) or a promise broken (说好的…结果).
PROBLEM_POINTS = 2.0

#: Points praise denied (不太喜欢, 不方便, not great) weighs more than the praise itself.
DENIED_POINTS = 0.5

#: Points of an injury found by its shape (缝了八针): a safety incident.
INCIDENT_POINTS = 4.0

#: Points a sign of harm adds to a message that already complains of something.
HARM_POINTS = 1.0

#: An amount of money, or a head count of people affected.
_AMOUNT = re.compile(
    r"\d+\s*多?\s*(元|块|rmb|yuan)|[$¥￥]\s*\d|[一两二三四五六七八九十百千万几]+多?\s*(块|元)|"
    r"(交|付|花|充|买)了?的?\s*\d{3,}"
)
_PEOPLE = re.compile(
    r"[两三四五六七八九十几百\d]+\s*[个位名户]?多?\s*(人|家长|学员|同学|用户|会员|户)|"
    r"\b(\d+|two|three|four|five|six|seven|eight|nine|ten|several|many|most|half)\s+of\s+us\b|"
    r"\b(\d{2,}|dozens of|hundreds of) (people|members|students|customers|of us)\b|"
    r"\bhalf (of )?the (people|class|group|cohort|chat)\b"
)
#: Failing again and again: the third time (第三次, 换了三次, four times) or more.
_REPEATED = re.compile(
    r"[三四五六七八九十]+\s*(次|回|遍)|\b([3-9]|\d{2,})\s*(次|回)|"
    r"\b(three|four|five|six|seven|eight|nine|ten|\d+) times\b|"
    r"\b(third|fourth|fifth|sixth|3rd|4th|5th|6th) time\b|连续\s*[三四五六七八九十\d]+\s*(天|次|周)"
)
_NUMBER = r"[一两二三四五六七八九十几半\d]+\s*个?多?半?"
_WAITED = re.compile(
    r"等了?\s*(好|很|那么|这么)?(久|半天)|"
    rf"等了\s*{_NUMBER}(分钟|小时|钟头|天|周|星期|礼拜|个?月)|"
    r"\bwait(ing|ed)? (for )?(over |more than )?(\d+|an?|one|two|three|four|five|six|several|many) "
    r"(hours?|days?|weeks?|months?)|"
    r"\btook (over |more than )?(\d+|an?|one|two|three) (hours?|days?|weeks?)"
)
#: Still not…: but not gone (疲惫都没了) nor one's own pace (还没看懂, 还没吃).
_STILL_NOT = r"没(?!了|看懂|搞懂|弄懂|想好|学会|睡|吃)|未|不见"
#: Overdue: time gone by and still nothing (一周了还没开出来, 到现在都没, it's been 3 weeks).
_OVERDUE = re.compile(
    rf"{_NUMBER}(分钟|小时|天|周|星期|礼拜|个?月)了?[^，。！？!?,]{{0,4}}(还|都|也)?({_STILL_NOT})|"
    r"(到现在|到今天|至今|现在都|现在还|这都|都过去)[^，。！？!?,]{0,4}(没|未|不见)|"
    r"(今天|现在|这)都[^，。！？!?,]{1,6}了|"
    r"\bit'?s been (\d+|a|an|one|two|three|four|five|six|several) (days?|weeks?|months?)|"
    r"\b(pending|waiting|stuck) (for )?(a|one|two|three|\d+) (days?|weeks?|months?)( now)?\b|"
    r"\bfor (a|one|two|three|\d+) (weeks?|months?) now\b"
)
#: A change for the worse: 比上次慢, 没上次好喝, 比外面还贵, not as good as last time.
_WORSE = re.compile(
    r"(比|跟)(以前|之前|上次|上期|原来|过去|平时|外面)[^，。！？!?,]{0,6}(差|慢|少|贵|小|难|烂|弱)|"
    r"(没|不如)(以前|之前|上次|上期|原来|过去)[^，。！？!?,]{0,3}好|"
    r"\bworse than (before|last|usual|it used)"
)
#: Goods unlike what was shown or said: 跟图片差得有点多, 和群里发的不一样.
_MISMATCH = re.compile(
    r"(跟|和|与)(?!众)[^，。！？!?,]{1,8}(不一样|不太一样|不符|不一致|差得|差很多|差太多|两回事|"
    r"不是一回事)"
)
#: A promise broken: 说好的周三发货…今天都周六了, 说是海景，其实…, 写着10节，实际….
_BROKEN = re.compile(
    r"(说好|承诺|答应|说是|宣传|写着|写的|明明说)[^。！？!?]{1,16}(结果|其实|实际|却|但是|可是|现在)"
)
#: A complaint taken back: I thought…, it turned out (我以为没到账，原来是银行延迟).
_TAKEN_BACK = re.compile(
    r"(以为|\bthought\b)[^。！？!?]{0,40}(原来|其实|已经收到|\ball good\b|turned out|\bit was\b|"
    r"\bone was\b|\bwas (just )?a\b)"
)
#: Someone in the group named (@小王) beside 投诉 or 举报: a member teased (我要举报@阿敏
#: 偷偷瘦了十斤), not the community; its staff (@客服, @群主) may be complained of.
_MEMBER_NAMED = re.compile(
    r"@(?!客服|管理|群主|官方|助手|小助手|助教|老师|班主任)[^\s@，。！？!?,]{1,16}"
)
_REPORTING = frozenset({"投诉", "举报", "起诉", "complain", "complaint", "report"})
#: Oneself before the term: 给今天的自己打个差评, 被自己的拖延症骗了.
_ONESELF_BEFORE = re.compile(r"(给|被)[^，。！？!?,]{0,4}自己")
#: A problem that went away (重新配对就好了, 等了一下就好了, works now): no complaint.
_RESOLVED = re.compile(
    r"(重新|刷新|重启|重装|重连|退出|换了?个|等了?一?下|过了?一?会儿?)[^，。！？!?]{0,10}就?好了|"
    r"(已经|又|终于|现在|后来)(恢复|好|修好|正常)了|恢复正常|"
    r"\b(works|working) (now|again)\b|\bfixed (now|itself)\b|\bback to normal\b"
)
#: A matter told as settled, the money back (打了12315第二天就退了, 调解才拿回来, got my
#: money back): the step taken before it is a story, not a threat, unless the community
#: is addressed (你们才退了一半).
_SETTLED = re.compile(
    r"(就|才|终于|后来|最后|最终)[^，。！？!?,]{0,6}(退了|退回来|退给我|退款了|到账了|拿回|要回|赔了|解决了)|"
    r"(got|get) (my|the|our) (money|deposit|refund) back|(finally|eventually) refunded"
)
#: One's own fault (应该是我蓝牙的问题), not 是我的问题吗 (a rhetorical question).
_MY_FAULT = re.compile(
    r"(是|怪)我(自己|这边)?[^，。！？!?,吗]{0,6}的(问题|原因)(?![^，。！？!?,]{0,3}吗)"
)
#: A step already taken, which may follow the act: 消协那边我已经打过电话了.
_DONE = ("已经", "already")
#: Evidence kept, which with an act makes a threat: 证据我都留着, I've kept every receipt.
_EVIDENCE = re.compile(
    r"(证据|截图|聊天记录|录音|录屏|凭证|收据)[^，。！？!?,]{0,4}(留着|留好|保留|保存|存着|都在|齐全)|"
    r"(留着|保留|保存|存好)了?(证据|截图|聊天记录|录音)|"
    r"\b(kept|saved|have|got) (every|all the|all|the)? ?(receipts?|screenshots?|evidence)\b"
)
#: Stitches: 缝了八针.
_STITCHES = re.compile(r"缝了?\s*[一两二三四五六七八九十几\d]+\s*针")
#: Goods failing soon after use (用了一周就坏了, 洗了一次就起球, after one wash): the message
#: is about a product, which gives a problem or a mood its subject.
_SHORT_LIFE = re.compile(
    r"(用|穿|戴|洗|跑|骑|开|买|装|充|住|吃)了?\s*(不到)?\s*"
    rf"{_NUMBER}(次|回|天|周|星期|个?月|公里|km)[^，。！？!?,]{{0,6}}就|"
    r"\bafter (only |just |less than )?(one|a|two|three|\d+) "
    r"(wash|washes|use|uses|wears?|weeks?|days?|months?|km|miles)\b"
)
_QUESTION = re.compile(
    r"[?？]|吗|呢$|请问|问一下|想问|请教|怎么|如何|多久|几天|什么时候|有没有|"
    r"(^|[.!?]\s*)(what|how|when|where|why|can i|do you|does|is there|are there)\b"
)
#: Questions that insist rather than ask: 怎么又/怎么还, 凭什么, 这合理吗, 到底.
_INSISTING = re.compile(
    r"怎么(又|还|给|就|突然|变|老|总|能)|凭什么|什么道理|合理吗|算什么|管不管|钱呢|搞什么|"
    r"什么破|到底|难道|不是说|谁(来)?负责|谁给|谁报销|好意思|就这|能信吗|\bseriously\b|"
    r"how is this"
)
#: Praise right after these is denied: 不满意, 不太喜欢, 没感谢 (but 好不好用 and 有没有推荐
#: ask: the word before 不 or 没 comes again after it).
_DENIED = re.compile(r"(?:^|(.))(不|没)(太|很|够|怎么|是很|有|有什么)?$")
#: 没有 right before a term denies it (没有不满), unless the term is what is missing (没有退款).
_NOT_HAVING = re.compile(r"没有(太|很|什么|任何|特别|要|再)?$")
#: A question asked as A-not-A (是不是, 有没有被骗): no negation.
_A_NOT_A = re.compile(r"(.)[不没]\1")
#: Clauses end at punctuation: an intent must be in the crisis term's own clause.
_CLAUSES = re.compile(r"[，。！？!?,.;；:：\n…、~]")
#: How far (characters) a complaint word may stand from a crisis word that it makes count.
CRISIS_REACH = 40
#: How many characters before a crisis term a Chinese intent (我要, 已经) may stand.
INTENT_REACH = 12
_SENTENCE_END = re.compile(r"[。！？!?\n]+|\.(\s|$)")
#: The community addressed as a business (你们家的咖啡, your app), not fellow members
#: asked (你们说呢, 你们觉得): where a story of others is still a complaint to it.
_BUSINESS = re.compile(
    r"你们(?!说|觉得|有没有|谁|知道|看|猜|有人|也|都|快|去)|你家|贵司|贵公司|\byours?\b"
)
#: Addressed in English: with an intent, "you" makes a threat (how you treat customers).
_YOU = re.compile(r"\byou\b")
#: The way to an act, right before it, said as an order: 找媒体曝光, 发小红书曝光.
_BY_WAY_OF = re.compile(r"(?:找|发|上|去)(?:媒体|记者|电视台|小红书|抖音|微博|网上|朋友圈)$")
#: A threat said after its act, as a warning or a step taken: 律师函等着吧, 法院见，走着瞧,
#: "legal action starts monday", "chargeback filed, lawyers next".
_WARNING_AFTER = re.compile(
    r"等着吧|等着瞧|走着瞧|你们等着|给我等着|等着收"
    r"|\b(?:filed|starts|incoming|will be in touch|will contact you|on (?:its|the) way)\b"
    r"|\bnext\W*$"
)
#: The writer's own personal data, named: told to the community, its exposure (我的身份证
#: 被公开了) is the community's to answer for, as when its service is named.
_OWN_DATA = re.compile(
    r"我的(?:个人信息|身份证|手机号|电话号码?|家庭住址|住址|地址|银行卡|照片|资料|隐私)"
    r"|\bmy (?:personal (?:data|details|information)|home address|address|phone number"
    r"|id card|card details)\b"
)
#: A line that gives someone else's words (狗：我要报警了, 我妈: …, boss: …): reported
#: speech, not the writer's own threat. The writer as speaker (我：, me:) is not.
_SPEAKER = re.compile(r"^\s*(?!我[：:]|本人|me\b|i\b)([^\s：:，,。！？!?]{1,8})\s*[：:]")
#: Someone else as the subject: 有人 (but 没有人, 有没有人管 are about the community).
_SOMEONE = re.compile(r"(?<!没)(?<!没有)(?<!有没)(?<!群里)有人(?!管|理|回|处理|负责)")
#: A term about oneself: 骂了自己, 吐槽一下我自己, 自我吐槽, hate myself.
_ONESELF_AFTER = re.compile(r"[了一下个我]{0,4}自己|\s*(at |with )?myself\b")
#: Short quotations and titles mention a word rather than use it: 孩子说老师“骗人”,
#: 《投诉热线》.
_QUOTED = re.compile(r"“[^”]{1,8}”|「[^」]{1,8}」|‘[^’]{1,8}’|《[^》]{1,20}》")
#: A term in a clause after 如果 (if) is a supposition: 如果对课程不满意可以退款吗.
_SUPPOSING = re.compile(r"如果|假如|(?<!主)要是|万一|假设|\bif\b|\bin case\b")
#: The rest of a clause that asks 吗: after 不是, a rhetorical question.
_RHETORICAL = re.compile(r"[^，。！？!?,.;；\n]*吗")
_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")


class Hit(NamedTuple):
    """A term found in a message, where it was found."""

    term: str
    kind: str
    weight: float
    start: int
    #: "mood" (烦, 失望, 不太喜欢) or "problem" (坏了, 起球): it counts only about something.
    role: str = ""


class Detector:
    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.config = config = settings or DetectorSettings()
        self._t2s = opencc.OpenCC("t2s")
        # Every group message is graded: order the terms (longest first, so 骗子 wins
        # over 骗) and compile the whole-word patterns of Latin terms once. The config's
        # terms are added to the built-in lexicon (a weight of 0 removes one).
        kinds = {
            "crisis": _merged(
                {**lexicon.CRISIS, **lexicon.SAFETY, **lexicon.PRIVACY}, config.crisis_terms
            ),
            "complaint": _merged({**lexicon.COMPLAINT, **lexicon.PROBLEMS}, config.complaint_terms),
            "positive": _merged(lexicon.POSITIVE, config.positive_terms),
        }
        # Terms are folded like messages are (lower case, Simplified), so an operator's
        # "詐騙" or "SCAM" in the config matches.
        self._terms = sorted(
            (
                (term, kind, weight, _whole_word(term) if term.isascii() else None)
                for kind, terms in kinds.items()
                for term, weight in ((self._fold(t), w) for t, w in terms.items())
                if term
            ),
            key=lambda item: len(item[0]),
            reverse=True,
        )
        self._negations = tuple(self._fold(n) for n in lexicon.NEGATIONS + config.negations)
        self._harm = self._patterns(lexicon.HARM + config.harm_terms)
        self._intents = self._patterns(lexicon.INTENTS)
        self._moods = frozenset(self._fold(mood) for mood in lexicon.MOODS)
        self._problems = frozenset(self._fold(term) for term in lexicon.PROBLEMS) - self._moods
        self._service = _Vocabulary(
            self._fold(word) for word in lexicon.SERVICE + lexicon.PRODUCTS + config.service_terms
        )
        self._safety = frozenset(self._fold(term) for term in lexicon.SAFETY)
        self._incidents = self._safety | {self._fold(term) for term in lexicon.PRIVACY}
        self._goods = _Vocabulary(
            self._fold(word) for word in lexicon.PRODUCTS + config.service_terms
        )
        self._serious = frozenset(self._fold(term) for term in lexicon.SERIOUS)
        self._wanted = frozenset(self._fold(term) for term in lexicon.WANTED)
        self._others = _Vocabulary(lexicon.OTHERS + lexicon.SELF)
        self._hearsay = _Vocabulary(lexicon.HEARSAY)
        self._platforms = frozenset(self._fold(term) for term in lexicon.PLATFORMS)
        self._mistaken = _Vocabulary(lexicon.MISTAKEN)
        # Family told of (我儿子说…, 我老公…), not a family member's own things (我孩子的课).
        self._kin = re.compile(
            r"我(家|的|们家)?({})(?!的)|\bmy ({})\b(?!'s)|孩子说|儿子说|女儿说".format(
                "|".join(k for k in lexicon.KIN if not k.isascii()),
                "|".join(k for k in lexicon.KIN if k.isascii()),
            )
        )
        self._acts = frozenset(self._fold(act) for act in lexicon.CRISIS_ACTS)
        self._threats_alone = frozenset(self._fold(act) for act in lexicon.THREATS_ALONE)
        self._not_intents = tuple(self._fold(phrase) for phrase in lexicon.NOT_INTENTS)
        self._harmless = tuple(self._fold(word) for word in lexicon.HARMLESS)
        #: Terms telling enough to name what a complaint is about (退款, refund).
        self._subjects = frozenset(
            term
            for term, kind, weight, _ in self._terms
            if kind != "positive" and weight >= SUBJECT_WEIGHT
        )
        #: The terms by their first character: a message is only searched for the terms
        #: that start with one of its characters (in the longest-first order).
        self._by_first: dict[str, list[int]] = {}
        for index, (term, *_) in enumerate(self._terms):
            self._by_first.setdefault(term[0], []).append(index)
        #: Chinese terms join jieba's dictionary, so that it keeps them whole.
        self._dictionary = tuple(sorted({t for t, *_ in self._terms if not t.isascii()}))
        self.model = ComplaintModel.load(config.model_file) if config.model else None

    def _fold(self, text: str) -> str:
        return self._t2s.convert(text.strip().lower())

    def _patterns(self, terms: Iterable[str]) -> tuple[tuple[str, re.Pattern[str] | None], ...]:
        folded = (self._fold(term) for term in terms)
        return tuple(
            (term, _whole_word(term) if term.isascii() else None) for term in folded if term
        )

    def grade(self, text: str, *, repeats: int = 0, others: int = 0) -> Verdict:
        """Grade ``text``; ``repeats`` is how many complaints this member made lately,
        ``others`` how many other members complained about the same lately."""
        verdict = self._lexicon_grade(text)
        if self.model is not None:
            # An incident told (your app leaked my number) is seldom a joke; a threat may be
            # (I'll take you to court over Scrabble), which the model knows.
            incident = verdict.severity is Severity.CRISIS and any(
                term in self._incidents for term in verdict.terms
            )
            verdict = self._second_opinion(
                verdict, self.model.probability(text), doubted=says_enough_to_doubt(text, incident)
            )
        if not verdict.is_complaint:
            return verdict
        # Spread and persistence raise the grade a level: several members at once up to a
        # crisis (mass anger), one member's repeated complaints up to serious at most —
        # a frustrated member alone is not a crisis, which needs its own signals.
        severity = verdict.severity
        if others >= 2:
            severity = Severity(min(Severity.CRISIS, severity + 1))
        elif repeats >= 2:
            severity = max(severity, Severity(min(Severity.HIGH, severity + 1)))
        return replace(verdict, severity=severity)

    def _second_opinion(self, verdict: Verdict, probability: float, *, doubted: bool) -> Verdict:
        """The lexicon's verdict weighed with the model's probability (see
        :mod:`handlers.escalation.model`); ``doubted``: the message says enough for the
        model to overrule the lexicon."""
        config, score = self.config, verdict.score
        weak = score < LEXICON_SURE
        if doubted and weak and verdict.is_complaint and probability < config.model_gate:
            return Verdict(Severity.NONE, score, verdict.terms)
        # Near certainty overrules even sure words, short of a sure crisis: others'
        # stories told with every keyword (我小姨家的狗丢了，她都报警了), jokes (I'm
        # reporting you to the book police 😂), a member who works at 消协.
        vetoed = probability < config.model_veto and score < CRISIS_SURE
        if doubted and verdict.is_complaint and vetoed:
            return Verdict(Severity.NONE, score, verdict.terms)
        crisis = verdict.severity is Severity.CRISIS
        if doubted and crisis and probability < config.model_crisis and score < CRISIS_SURE:
            return replace(verdict, severity=Severity.HIGH)
        alone = config.model_alone < 1 and probability >= config.model_alone
        # Mixed feedback that praises too (a review: 房间本身很好，早餐太差) is not the
        # model's alone to call a complaint.
        if not verdict.is_complaint and alone and not verdict.praised:
            return Verdict(Severity.LOW, verdict.score, verdict.terms)
        return verdict

    def _lexicon_grade(self, text: str) -> Verdict:
        raw = unicodedata.normalize("NFKC", text)[:1000]
        folded = self._t2s.convert(raw.lower())
        config = self.config
        hits = self._own(folded, self._hits(folded))
        counted, threatened = self._counted(folded, hits)
        score = sum(hit.weight for hit in counted if hit.kind == "complaint")
        crisis = sum(hit.weight for hit in counted if hit.kind == "crisis")
        calm = sum(hit.weight for hit in hits if hit.kind == "positive")
        exclaims = raw.count("!") + raw.count("！")
        shouting = sum(1 for word in re.findall(r"[A-Za-z]{3,}", raw) if word.isupper())
        intensity = min(exclaims, 6) * 0.5 + min(shouting, 3) * 0.7
        questions = raw.count("?") + raw.count("？")
        if questions >= 2:
            intensity += 1.0
        insisting = any(hit.weight <= INTENSIFIER_WEIGHT for hit in counted) or bool(
            _INSISTING.search(folded)
        )
        if _QUESTION.search(folded) and exclaims == 0 and questions <= 1 and not insisting:
            # A calm question is an inquiry ("退款几天到账？"), not an attack; one that
            # insists (怎么还没到账？, 到底什么时候, 凭什么) is a complaint.
            if not threatened:
                crisis *= config.question_factor
            score *= config.question_factor
        if score >= config.complaint_threshold:
            calm = _praise_after(hits, counted)
        sentences = _sentences(folded, counted)
        harmed = any(self._harmful(sentence) for sentence in sentences)
        # Money lost or several people affected weigh like intensity: only next to a complaint.
        weight = intensity + (HARM_POINTS if harmed else 0)
        total = score + crisis + (weight if score + crisis > 0 else 0) - calm
        terms = tuple(hit.term for hit in counted)
        if total < config.complaint_threshold:
            return Verdict(Severity.NONE, round(total, 2), terms, praised=calm > 0)
        # Failing again and again, an accusation of cheating or a refusal: serious too.
        serious = (
            harmed
            or any(hit.term in self._serious for hit in counted)
            or any(_REPEATED.search(sentence) for sentence in sentences)
        )
        # Moods and problems alone (有点失望, 坏了) are minor unless something makes them serious.
        minor = all(hit.role for hit in counted if hit.kind == "complaint" and hit.weight > 1)
        if crisis >= config.crisis_threshold or threatened:
            severity = Severity.CRISIS
        elif serious or (total >= config.high_threshold and not minor):
            # Strong words, or money lost / several people affected: serious, not minor.
            severity = Severity.HIGH
        else:
            severity = Severity.LOW
        return Verdict(severity, round(total, 2), terms, praised=calm > 0)

    def _own(self, folded: str, hits: list[Hit]) -> list[Hit]:
        """The hits that are the writer's own complaint: not in a sentence that tells of
        someone else (有人, 我同事, 新闻说, my friend), nor in a message taken back (虚惊
        一场, my bad), unless the community is addressed as a business (你们家, your);
        not about oneself (骂了自己, 自我吐槽), not quoted (孩子说老师“骗人”, 《投诉热线》),
        not supposed (如果不满意). Safety incidents stay unless heard of (新闻说): the
        victim may be someone else (烫伤了我妈的手), and they need a link anyway."""
        if not hits:
            return hits
        business = _BUSINESS.search(folded) is not None
        if not business and (
            self._mistaken.search(folded) or _MY_FAULT.search(folded) or _TAKEN_BACK.search(folded)
        ):
            return [hit for hit in hits if hit.kind == "positive"]
        resolved = _RESOLVED.search(folded)
        settled = None if business else _SETTLED.search(folded)
        quotes = [match.span() for match in _QUOTED.finditer(folded)]
        # A supposition is no complaint (如果不满意可以退吗), but it may set a condition
        # for a threat (If I don't get a refund, I'm talking to my lawyer).
        supposing = not any(hit.kind == "crisis" for hit in hits)
        starts = _sentence_starts(folded)
        kept = []
        for hit in hits:
            end = hit.start + len(hit.term)
            if any(start <= hit.start and end <= stop for start, stop in quotes):
                continue
            if hit.kind == "positive":
                kept.append(hit)
                continue
            if resolved and hit.role and resolved.start() > hit.start:
                continue  # 耳机断连了一下，重新配对就好了
            if settled and hit.kind == "crisis" and settled.start() > hit.start:
                continue  # 打了12315第二天就退了: a step that worked, told, is no threat
            if (
                _ONESELF_AFTER.match(folded, end)
                or "自我" in folded[max(0, hit.start - 3) : hit.start]
            ):
                continue
            clause = _CLAUSES.split(folded[max(0, hit.start - 20) : hit.start])[-1]
            if _ONESELF_BEFORE.search(clause):
                continue
            if supposing and hit.kind == "complaint" and _SUPPOSING.search(clause):
                continue
            i = bisect.bisect_right(starts, hit.start) - 1
            sentence = folded[starts[i] : starts[i + 1]]
            if hit.term in _REPORTING and _MEMBER_NAMED.search(sentence):
                continue
            if not business:
                if self._hearsay.search(sentence):
                    continue
                if hit.term not in self._safety and self._told_of_others(sentence):
                    continue
            kept.append(hit)
        return kept

    def _told_of_others(self, sentence: str) -> bool:
        return bool(
            self._others.search(sentence) or self._kin.search(sentence) or _SOMEONE.search(sentence)
        )

    def _counted(self, folded: str, hits: list[Hit]) -> tuple[list[Hit], bool]:
        """The complaint and crisis terms that count, each needing another signal:
        intensifiers (一直, 每次, again: INTENSIFIER_WEIGHT or less) a telling term;
        moods and problems (烦, 失望, 坏了) a telling term, the community's service or
        goods named, or each other (表带起毛了，有点失望); crisis terms a complaint of
        their own or a threat, incidents (起火, 泄露) a link to the community. Alone, a
        crisis term is a topic (a drama about a lawyer), a mood is a mood (下雨天真烦人).
        Also whether a crisis term was a threat: a crisis whatever its points."""
        telling = [h for h in hits if h.kind == "complaint" and h.weight > INTENSIFIER_WEIGHT]
        if telling and all(hit.role for hit in telling) and not self._about(folded, telling):
            telling = []
        light = [h for h in hits if h.kind == "complaint" and h.weight <= INTENSIFIER_WEIGHT]
        complaints = [*telling, *light] if telling else []
        crises = [hit for hit in hits if hit.kind == "crisis"]
        complains = sum(hit.weight for hit in complaints) >= self.config.complaint_threshold
        threatened = any(self._threat(folded, hit, crises, bool(telling)) for hit in crises)
        if threatened:
            return complaints + crises, threatened
        if complains:
            # A crisis word counts beside a complaint word (not a mere mood or problem):
            # a long review that finds the breakfast 一般 and mentions the police at the
            # door is no crisis; 全网曝光！黑心机构收钱不办事 is one.
            near = [
                crisis
                for crisis in crises
                if any(
                    not hit.role and abs(hit.start - crisis.start) <= CRISIS_REACH
                    for hit in telling
                )
            ]
            if near or not crises:
                return complaints + near, False
        # Incidents linked to the community: safety to its goods (your kettle, 刚买的充电宝),
        # privacy to its service too (你们平台, 群里). Lighter ones need each other.
        business = _BUSINESS.search(folded) is not None
        goods = business or self._goods.search(folded)
        service = goods or self._names_service(folded) or _OWN_DATA.search(folded)
        incidents = [
            hit
            for hit in crises
            if hit.term in self._incidents and (goods if hit.term in self._safety else service)
        ]
        if sum(hit.weight for hit in incidents) < self.config.crisis_threshold:
            incidents = []
        return complaints + incidents, False

    def _about(self, folded: str, vague: list[Hit]) -> bool:
        """Whether moods and problems are about something: the community's service or
        goods named (课程, 客服, 快递, 你们), a product failing soon after use (用了一周
        就), or a mood about a problem (表带起毛了，有点失望)."""
        if self._names_service(folded) or _SHORT_LIFE.search(folded):
            return True
        return len({hit.role for hit in vague}) == 2

    def _threat(self, folded: str, hit: Hit, crises: list[Hit], telling: bool) -> bool:
        """A crisis term said as a threat: after an intent in its clause (我要, 已经, I'll),
        with one more sign: the term is an act (我要报警, 已经去了消协), the community is
        addressed (你们, you), another crisis term is used (联系了记者，媒体会报道), or a
        complaint term. An act may also come first (消协那边我已经打过电话了), or with
        evidence kept (法院见，证据我都留着). 我已经看完律师剧, 我要去法院实习 are none."""
        if hit.term in self._incidents:
            return False  # an incident is no threat: it needs its link to the community
        if hit.term in self._threats_alone:
            return True  # 法庭见: the act and the intent in one
        line_start = folded.rfind("\n", 0, hit.start) + 1
        if _SPEAKER.match(folded[line_start : hit.start]):
            return False  # someone else's words, quoted
        act = hit.term in self._acts
        if act and _EVIDENCE.search(folded):
            return True
        clause = _CLAUSES.split(folded[max(0, hit.start - 30) : hit.start])[-1]
        near = clause[-INTENT_REACH:]
        for phrase in self._not_intents:
            near = near.replace(phrase, " ")
        intent = _BY_WAY_OF.search(clause) is not None or any(
            _find(clause, cue, pattern) >= 0 if pattern else cue in near
            for cue, pattern in self._intents
        )
        if act and not intent:  # a step already taken, or a warning, told after the act
            sentence = _sentences(folded, [hit])[0]
            intent = any(cue in sentence for cue in _DONE) or bool(
                _WARNING_AFTER.search(folded, hit.start)
            )
        others = [other for other in crises if other is not hit]
        if hit.term in self._platforms:  # 我已经在小红书发了攻略，你们去看 is no threat
            others = [other for other in others if other.term not in self._platforms]
            return intent and (telling or bool(others))
        addressed = _BUSINESS.search(folded) or _YOU.search(folded)
        return intent and (telling or act or bool(others) or addressed is not None)

    def _names_service(self, folded: str) -> bool:
        """Whether the message names the community's service or goods (课程, 客服, app,
        快递, 买的, 你们)."""
        return self._service.search(folded)

    def _harmful(self, folded: str) -> bool:
        if _AMOUNT.search(folded) or _PEOPLE.search(folded):
            return True
        return any(_find(folded, term, pattern) >= 0 for term, pattern in self._harm)

    def same_subject(self, verdict: Verdict, text: str) -> bool:
        """Whether ``text`` shares one of the verdict's telling terms (not mere
        intensifiers such as 一直 or 到底): the same subject, for spotting a surge."""
        folded = self._t2s.convert(unicodedata.normalize("NFKC", text)[:1000].lower())
        found = {hit.term for hit in self._hits(folded)} & self._subjects
        return not found.isdisjoint(verdict.terms)

    def _hits(self, folded: str) -> list[Hit]:
        """The terms found as words and not negated; the longest term wins where terms
        overlap (骗子 over 骗), and complaint hits that overlap count once, the heaviest.
        Problems found by their shape (等了两个小时, 一周了还没开出来, 比上次慢, 说好的…
        结果) and stitches (缝了八针) are hits too; praise denied (不太喜欢, not great) is
        a mood."""
        hits: list[Hit] = []
        text = folded
        for pattern in _SHAPES:
            found = pattern.search(folded)
            if found and not self._negated(folded, found.start(), found.group()):
                hits.append(
                    Hit(found.group(), "complaint", PROBLEM_POINTS, found.start(), "problem")
                )
                if pattern is _WAITED:  # 等了两个小时 is not 等了 again
                    text = _blank(text, found.start(), found.end())
        stitches = _STITCHES.search(folded)
        if stitches:  # 缝了八针 is 缝针
            hits.append(Hit("缝针", "crisis", INCIDENT_POINTS, stitches.start()))
        words = Words(folded, self._dictionary, self._harmless)
        by_first = self._by_first
        candidates = sorted({i for char in set(text) for i in by_first.get(char, ())})
        for term, kind, weight, pattern in (self._terms[i] for i in candidates):
            if term not in text:  # the common case, and much cheaper than _find
                continue
            start = _find(text, term, pattern)
            while start >= 0:
                end = start + len(term)
                hit = self._hit(text, term, kind, weight, start, pattern, words)
                if hit is not None:
                    hits.append(hit)
                    text = _blank(text, start, end)
                    break
                start = _find(text, term, pattern, start + 1)
        return _heaviest(hits)

    def _hit(
        self,
        text: str,
        term: str,
        kind: str,
        weight: float,
        start: int,
        pattern: re.Pattern[str] | None,
        words: Words,
    ) -> Hit | None:
        """Latin terms count as whole words, Chinese complaint and crisis terms as
        words (see words.py); praise anywhere, and denied (不满意, not great) as a mood."""
        if kind == "positive":
            if self._negated(text, start, term) or _denied(text, start):
                # Denied, praise is a mood as strong as the praise: 不满意 more than 不方便.
                return Hit(term, "complaint", weight + DENIED_POINTS, start, "mood")
            return Hit(term, kind, weight, start)
        if self._negated(text, start, term):
            return None
        if pattern is None and not words.stands_alone(start, start + len(term)):
            return None
        if pattern is not None and words.harmless(start, start + len(term)):
            return None  # a scam text, privacy settings
        role = "mood" if term in self._moods else "problem" if term in self._problems else ""
        return Hit(term, kind, weight, start, role)

    def _negated(self, text: str, start: int, term: str) -> bool:
        """A negation shortly before the term, in its own clause (不是要投诉, not a scam,
        没有不满; but not 不是鳕鱼，骗子, nor 没有退款: what is missing)."""
        before = _A_NOT_A.sub(" ", _CLAUSES.split(text[max(0, start - 8) : start])[-1])
        if "不是" in before[-5:] and _RHETORICAL.match(text, start):
            return False  # 这不是骗人吗: an accusation, not a denial
        if term not in self._wanted and _NOT_HAVING.search(before):
            return True
        last_words = _LATIN_WORD.findall(before)[-3:]
        return any(
            negation in last_words if negation.isascii() else negation in before[-5:]
            for negation in self._negations
        )


_SHAPES = (_WAITED, _OVERDUE, _WORSE, _MISMATCH, _BROKEN)


def _heaviest(hits: list[Hit]) -> list[Hit]:
    """Complaint hits that overlap count once, the heaviest (等了三天 and 三天没 in
    等了三天没人理: only 没人理)."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.kind != "complaint", -h.weight, -len(h.term))):
        end = hit.start + len(hit.term)
        if hit.kind == "complaint" and any(
            other.kind == "complaint"
            and other.start < end
            and hit.start < other.start + len(other.term)
            for other in kept
        ):
            continue
        kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def _denied(text: str, start: int) -> bool:
    """Praise denied right before (不满意, 没感谢), not asked about (好不好用, 有没有推荐)."""
    found = _DENIED.search(text, max(0, start - 5), start)
    if found is None:
        return False
    before, after = found.group(1), text[found.end(2) : found.end(2) + 1]
    return before is None or before != (after or text[start : start + 1])


def _merged(defaults: Mapping[str, float], extra: Mapping[str, float]) -> dict[str, float]:
    """The built-in terms with the config's added or re-weighted (a weight of 0 removes)."""
    terms = {**defaults, **{term.strip().lower(): weight for term, weight in extra.items()}}
    return {term: weight for term, weight in terms.items() if term and weight}


class _Vocabulary:
    """A list of words to look for in a message: Chinese ones anywhere, Latin ones as
    whole words. Words are indexed by their first character, so a short message is
    only searched for the few that could be in it."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_first: dict[str, list[tuple[str, re.Pattern[str] | None]]] = {}
        for word in sorted({word for word in words if word}):
            pattern = _whole_word(word) if word.isascii() else None
            self._by_first.setdefault(word[0], []).append((word, pattern))

    def search(self, text: str) -> bool:
        return any(
            _find(text, word, pattern) >= 0
            for char in set(text)
            for word, pattern in self._by_first.get(char, ())
            if word in text
        )


def _blank(text: str, start: int, end: int) -> str:
    """Blank a match out, so that shorter terms inside it do not count again."""
    return text[:start] + " " * (end - start) + text[end:]


def _sentence_starts(folded: str) -> list[int]:
    return [0] + [match.end() for match in _SENTENCE_END.finditer(folded)] + [len(folded) + 1]


def _sentences(folded: str, counted: list[Hit]) -> list[str]:
    """The sentences that hold a counted term: money or people elsewhere in a long
    message (a price in a review) is not harm done by what the message complains of."""
    starts = _sentence_starts(folded)
    found = {bisect.bisect_right(starts, hit.start) - 1 for hit in counted}
    return [folded[starts[i] : starts[i + 1]] for i in sorted(found)]


def _praise_after(hits: list[Hit], counted: list[Hit]) -> float:
    """Praise before complaint words is often sarcasm ("好服务啊，等了三天"): it counts
    half. Praise or laughter after them is how the message ends ("游戏又输了哈哈")."""
    last = max((hit.start for hit in counted), default=-1)
    return sum(
        hit.weight if hit.start > last else hit.weight / 2 for hit in hits if hit.kind == "positive"
    )


def _whole_word(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")


def _find(text: str, term: str, pattern: re.Pattern[str] | None, start: int = 0) -> int:
    """Chinese terms match anywhere; Latin ones (with a pattern) only as whole words."""
    if pattern is None:
        return text.find(term, start)
    match = pattern.search(text, start)
    return match.start() if match else -1


def says_enough_to_doubt(text: str, incident: bool = False) -> bool:
    """Whether ``text`` is long enough for the model to overrule the lexicon: ten
    characters with Chinese in them, else five words; ten for an incident (the model
    knows English ones poorly: "you leaked my phone number" is no chatter)."""
    if len(text) < MODEL_MIN_CHARS:
        return False
    words = MODEL_MIN_INCIDENT_WORDS if incident else MODEL_MIN_WORDS
    return bool(_CJK.search(text)) or len(_WORD.findall(text)) >= words
