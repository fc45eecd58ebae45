"""When to answer, derived from the knowledge base itself.

A new community has no labelled questions, so the answer rule cannot come from
one. The base can stand in for them: a phrasing left out of its entry is a
question the base answers (does the entry still come first, and how
confidently?), and an entry left out of the base is a question in the
community's own vocabulary that the base no longer answers (how confident is
the best wrong entry?). Members' feedback adds real cases: an answer marked
helpful, one marked wrong, a question staff later answered with an entry.

From those samples :func:`fit` picks the rule (a threshold on the confidence
weighed with its lead over the runner-up) that answers the most answerable
questions while the share of unanswerable ones that would get an answer stays
within the operator's risk, on a one-sided upper bound: a small base gives wide bounds,
so its rule is conservative, and it says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from faq.matcher import AnswerRule, EntryText, Match, Matcher

#: An entry left out is a harder unanswerable question than members really ask: it is
#: about a subject the base covers closely, often beside its own siblings. On the three
#: development bases (``tests/data/faq_eval``, ``faq_home``, ``faq_exam``) real in-domain
#: questions without an entry got an answer 0–0.85 times as often as left-out entries
#: at the same rule (about a third in the middle), so a left-out entry's false answer
#: counts this much.
LEFT_OUT_WEIGHT = 0.3
#: One-sided 75 % bound on the false-answer rate: the weight above already keeps a
#: margin (at the rules chosen, the development sets' real false answers were 1.4–3.9 %
#: for a 5 % risk; it is an estimate, not a guarantee).
Z = 0.6745
#: Fewer samples of either kind than this: the rule is a guess, shown as uncertain.
FEW_SAMPLES = 40
#: At most this many of each kind are drawn from a large base (at a 5 % rate, the bound
#: is then within a point of it).
MOST_SAMPLES = 1000
#: How many times the lead over the runner-up counts beside the confidence in a
#: calibrated rule (:class:`AnswerRule`). Measured on the development sets against the
#: former rule (a minimum confidence and a minimum lead, both calibrated): any weight
#: from 1 to 4 gave more right answers at fewer false ones on all three; 2 is the middle.
#: Fixed rather than fitted: the self-test's few right answers made a fitted weight noise.
LEAD_WEIGHT = 2.0
#: Thresholds tried, by hundredths.
THRESHOLDS = tuple(step / 100 for step in range(15, 100))
#: When nothing meets the risk: answer only near-certain matches.
STRICTEST = AnswerRule(0.99, LEAD_WEIGHT)


class Stopped(Exception):
    """The self-test was asked to stop (the process is shutting down)."""


def _never() -> bool:
    return False


class Source(StrEnum):
    SELF_TEST = "self-test"
    FEEDBACK = "feedback"


@dataclass(frozen=True, slots=True)
class Sample:
    """A question as the matcher saw it: its best confidence, the lead over the
    runner-up, and whether the best entry is the right one (None: no entry is)."""

    confidence: float
    lead: float
    right: bool | None
    source: Source = Source.SELF_TEST

    @property
    def answerable(self) -> bool:
        return self.right is not None


@dataclass(frozen=True, slots=True)
class Feedback:
    """A member's or staff's verdict on a question: ``entry`` answers it (helpful, or
    staff answered the miss with it), or ``wrong`` is the entry that does not."""

    question: str
    entry: Hashable | None = None
    wrong: Hashable | None = None


@dataclass(frozen=True, slots=True)
class Calibration:
    rule: AnswerRule
    max_false: float
    answerable: int
    unanswerable: int
    from_feedback: int
    #: Share of answerable questions answered with the right entry under the rule.
    correct: float
    #: Upper bound of the share of unanswerable questions that get an answer.
    false_bound: float
    #: Share of answerable questions answered with a wrong entry.
    wrong: float
    #: Too few samples, or no rule met the risk: the rule is conservative.
    uncertain: bool
    met: bool

    @property
    def few(self) -> bool:
        """Too few samples of either kind to trust what they say."""
        return _too_few(self.answerable, self.unanswerable)


def sample_of(matches: Sequence[Match], right: Hashable | None, source: Source) -> Sample:
    best = matches[0].confidence if matches else 0.0
    runner_up = matches[1].confidence if len(matches) > 1 else 0.0
    verdict = None if right is None else bool(matches) and matches[0].key == right
    return Sample(best, best - runner_up, verdict, source)


def self_test(
    matcher: Matcher,
    entries: Mapping[Hashable, EntryText],
    most: int = MOST_SAMPLES,
    stop: Callable[[], bool] = _never,
) -> list[Sample]:
    """Samples from the base: every entry's phrasings left out in turn (answerable while
    the entry keeps another phrasing), every entry left out (its question unanswerable).
    ``matcher`` is an empty matcher private to the caller: the entries are indexed in
    it, then taken out and put back one by one. ``stop`` returning True ends it early
    (:class:`Stopped`)."""
    cut = {key: [matcher.cut(text) for text in entry.phrasings] for key, entry in entries.items()}
    answers = {key: matcher.mentions(entry.answer) for key, entry in entries.items()}
    for key, documents in cut.items():
        matcher.add_cut(key, documents, answers[key])
    keys = list(cut)
    samples: list[Sample] = []
    for key in _spread(keys, most):
        if stop():
            raise Stopped
        documents = cut[key]
        matcher.remove(key)
        samples.append(sample_of(matcher.search_cut(documents[0]), None, Source.SELF_TEST))
        matcher.add_cut(key, documents, answers[key])
    several = [key for key in keys if len(cut[key]) > 1]
    for number, key in enumerate(_spread(several, most)):
        if stop():
            raise Stopped
        documents = cut[key]
        left_out = number % len(documents)
        kept = documents[:left_out] + documents[left_out + 1 :]
        matcher.add_cut(key, kept, answers[key])
        found = matcher.search_cut(documents[left_out])
        samples.append(sample_of(found, key, Source.SELF_TEST))
        matcher.add_cut(key, documents, answers[key])
    return samples


def feedback_samples(matcher: Matcher, feedback: Iterable[Feedback]) -> list[Sample]:
    """Feedback as samples, matched against the base as it is now: a helpful answer or a
    miss staff answered is answerable; an answer marked wrong is a false answer as long
    as the matcher still gives it first."""
    samples = []
    for item in feedback:
        found = matcher.search(item.question)
        if item.entry is not None and item.entry in matcher:
            samples.append(sample_of(found, item.entry, Source.FEEDBACK))
        elif item.wrong is not None and found and found[0].key == item.wrong:
            samples.append(sample_of(found, None, Source.FEEDBACK))
    return samples


def fit(samples: Sequence[Sample], max_false: float) -> Calibration:
    """The rule answering the most answerable questions rightly whose false-answer rate
    on unanswerable ones stays within ``max_false`` (upper bound); none (``met`` false)
    when the only such rules answer nothing right."""
    answerable = [s for s in samples if s.answerable]
    unanswerable = [s for s in samples if not s.answerable]
    fed = sum(1 for s in samples if s.source is Source.FEEDBACK)
    best: AnswerRule | None = None
    for threshold in THRESHOLDS:  # the lowest one within the risk answers the most
        rule = AnswerRule(threshold, LEAD_WEIGHT)
        if _upper_bound(_false_answers(unanswerable, rule), len(unanswerable)) <= max_false:
            # A rule that answers nothing right keeps any risk and is no rule at all.
            if any(s.right and _passes(s, rule) for s in answerable):
                best = rule
            break
    few = _too_few(len(answerable), len(unanswerable))
    rule = best or STRICTEST
    return Calibration(
        rule=rule,
        max_false=max_false,
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        from_feedback=fed,
        correct=_share(sum(1 for s in answerable if s.right and _passes(s, rule)), answerable),
        false_bound=_upper_bound(_false_answers(unanswerable, rule), len(unanswerable)),
        wrong=_share(sum(1 for s in answerable if not s.right and _passes(s, rule)), answerable),
        uncertain=few or best is None,
        met=best is not None,
    )


def _too_few(answerable: int, unanswerable: int) -> bool:
    return min(answerable, unanswerable) < FEW_SAMPLES


def _passes(sample: Sample, rule: AnswerRule) -> bool:
    """:meth:`AnswerRule.answers` on a sample (its lead computed the same way)."""
    return rule.standing_of(sample.confidence, sample.lead) >= rule.threshold


def _false_answers(unanswerable: Sequence[Sample], rule: AnswerRule) -> float:
    """How many of ``unanswerable`` the rule answers, a left-out entry weighing less."""
    return sum(
        LEFT_OUT_WEIGHT if s.source is Source.SELF_TEST else 1.0
        for s in unanswerable
        if _passes(s, rule)
    )


def _share(count: int, items: Sequence[Sample]) -> float:
    return count / len(items) if items else 0.0


def _upper_bound(hits: float, total: int) -> float:
    """Wilson score upper bound of a rate (1 with no samples: nothing is known)."""
    if total == 0:
        return 1.0
    rate = hits / total
    centre = rate + Z * Z / (2 * total)
    spread = Z * math.sqrt(rate * (1 - rate) / total + Z * Z / (4 * total * total))
    return min(1.0, (centre + spread) / (1 + Z * Z / total))


def _spread(keys: Sequence[Hashable], most: int) -> list[Hashable]:
    """At most ``most`` keys, evenly spread over the base (deterministic)."""
    if len(keys) <= most:
        return list(keys)
    step = len(keys) / most
    return [keys[int(i * step)] for i in range(most)]
