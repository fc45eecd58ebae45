"""The complaint detector's model: how its second opinion changes a verdict, the file
it is read from, and the built-in model being exactly what its training files make."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.complaint_training import train, training_set
from handlers.escalation.detector import Detector, Severity
from handlers.escalation.evaluation import read_labelled
from handlers.escalation.model import BUILT_IN, ComplaintModel, Features, ModelError
from handlers.escalation.settings import DetectorSettings

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data" / "complaints"
HELD_OUT = {
    "chatter8.jsonl",
    "complaints8.jsonl",
    "chatter9.jsonl",
    "complaints9.jsonl",
    "chatter10.jsonl",
    "complaints10.jsonl",
    "chatter11.jsonl",
    "chatter12.jsonl",
    "complaints12.jsonl",
    "chatter14.jsonl",
}


def model_file(tmp_path: Path, bias: float, **weights: float) -> Path:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"format": 1, "bias": bias, "weights": weights}), "utf-8")
    return path


def detector(path: Path, **settings: Any) -> Detector:
    return Detector(DetectorSettings(model_file=path, **settings))


def test_a_hit_the_model_doubts_opens_no_ticket(tmp_path: Path) -> None:
    """Ordinary talk that uses complaint words (a relative scammed) is what the lexicon
    gets wrong: the model overrules a weak hit, a strong one only when it is near
    certain, a sure crisis or a short message never."""
    path = model_file(tmp_path, -8.0, 别的=-20.0)
    lexicon = Detector(DetectorSettings(model=False))
    story = "昨天在别的网店买的耳机坏了，客服不理人，退款也不给"
    assert lexicon.grade(story).is_complaint
    assert not detector(path).grade(story).is_complaint
    strong = "你们就是骗子！！退钱！！别的群都在说你们"  # the lexicon is sure…
    assert lexicon.grade(strong).score >= 8
    assert detector(path, model_veto=0.0).grade(strong).is_complaint  # …kept when doubted
    assert not detector(path).grade(strong).is_complaint  # not when the model is near certain
    crisis = "骗子平台！我已经报警了，还要找媒体曝光你们，别的群都知道了"
    assert lexicon.grade(crisis).score >= 12
    assert detector(path).grade(crisis).severity is Severity.CRISIS  # a sure crisis stands
    assert detector(path).grade("你们就是骗子").is_complaint  # too short to overrule


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("I will sue you", Severity.CRISIS),
        ("See you in court", Severity.CRISIS),
        ("This is a scam", Severity.HIGH),
        ("charged twice?!", Severity.HIGH),
        ("Worst service ever", Severity.LOW),
        ("lol this quiz is a scam 😂", Severity.NONE),
        ("see you at the court tonight", Severity.NONE),
        # An incident is not the model's to overrule under ten words; a joking threat is.
        ("you leaked my phone number", Severity.CRISIS),
        ("your app leaked my address", Severity.CRISIS),
        ("I'll take you to court over Scrabble", Severity.NONE),
        ("Gonna sue my alarm clock for emotional damage", Severity.NONE),
    ],
)
def test_a_short_english_complaint_is_not_the_models_to_overrule(
    text: str, severity: Severity
) -> None:
    """Ten characters of English are two words: an English message is long enough for
    the built-in model to overrule the lexicon from five words, as Chinese from ten
    characters. "I will sue you" was vetoed as chatter before."""
    assert Detector().grade(text).severity is severity


def test_a_crisis_the_model_doubts_is_serious_not_a_page(tmp_path: Path) -> None:
    path = model_file(tmp_path, 0.0)  # 50 %: a complaint, but not sure enough for a crisis
    text = "不给个说法的话，我就去消协反映你们这个课程"
    assert Detector(DetectorSettings(model=False)).grade(text).severity is Severity.CRISIS
    assert detector(path).grade(text).severity is Severity.HIGH
    assert detector(path, model_crisis=0.4).grade(text).severity is Severity.CRISIS


def test_a_complaint_in_words_the_lexicon_lacks(tmp_path: Path) -> None:
    path = model_file(tmp_path, -8.0, 画大饼=20.0)
    text = "你们又在画大饼"
    assert not Detector(DetectorSettings(model=False)).grade(text).is_complaint
    assert detector(path).grade(text).severity is Severity.LOW
    assert not detector(path, model_alone=1.0).grade(text).is_complaint  # 1: switched off


def test_the_model_can_be_switched_off() -> None:
    assert Detector(DetectorSettings(model=False)).model is None
    assert Detector().model is ComplaintModel.load()  # the built-in one, loaded once


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "no such file"),
        ("not json", "not a model file"),
        ('{"format": 9, "bias": 0, "weights": {}}', "format-1"),
        ('{"format": 1, "bias": "x", "weights": {}}', "malformed"),
    ],
)
def test_an_unusable_model_file_is_one_clear_error(
    tmp_path: Path, content: str | None, why: str
) -> None:
    path = tmp_path / f"bad-{why[:3]}.json"
    if content is not None:
        path.write_text(content, "utf-8")
    with pytest.raises(ModelError, match=why):
        ComplaintModel.load(path)


def test_a_bad_model_file_in_the_config_stops_the_cli_in_one_line(run: Any, tmp_path: Path) -> None:
    (tmp_path / "shequn.toml").write_text(
        '[escalation.detector]\nmodel_file = "missing.json"\n', "utf-8"
    )
    labelled = tmp_path / "x.jsonl"
    labelled.write_text('{"text": "你好", "severity": "none"}\n', "utf-8")
    code, out = run("complaints", "eval", str(labelled))
    assert code == 2
    assert out.strip() == "config error: complaint model missing.json: no such file"


def test_features_fold_like_the_detector() -> None:
    """Traditional characters and full-width forms are the same message."""
    features = Features()
    assert features("退款！ＡＢＣ refund") == features("退款!abc REFUND")
    assert features("詐騙") == features("诈骗")
    assert "w:refund" in features("I want a refund") and "退款" in features("要退款")
    assert len(features("长" * 100_000)) <= 3  # read from the start only, bounded


def test_the_built_in_model_is_what_its_training_files_make() -> None:
    """Trained by ``make model`` on the development sets, never on the held-out ones; the
    files have not changed since (else: run ``make model``), and training them again
    gives the same weights."""
    shipped = json.loads(BUILT_IN.read_text("utf-8"))
    names = set(shipped["trained_on"])
    assert names.isdisjoint(HELD_OUT)
    makefile = (ROOT / "Makefile").read_text("utf-8")
    listed = re.search(r"MODEL_SETS := ([^\n]*\\\n[^\n]*)", makefile)
    assert listed is not None
    assert names == {f"{name}.jsonl" for name in listed.group(1).replace("\\", " ").split()}
    for name, digest in shipped["trained_on"].items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name
    sets = [training_set(DATA / name, read_labelled(DATA / name)) for name in shipped["trained_on"]]
    assert train(sets, shipped["c"]) == shipped


def test_training_from_the_cli(run: Any, tmp_path: Path) -> None:
    rows = [{"text": f"退款{n}天了还没到账，太过分了", "severity": "high"} for n in range(5)]
    rows += [{"text": f"今天第{n}次打卡，开心", "severity": "none"} for n in range(5)]
    labelled = tmp_path / "mine.jsonl"
    labelled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    code, out = run("complaints", "train", str(labelled), "--out", "mine-model.json")
    assert code == 0, out
    assert "trained on 10 messages (5 complaints) from 1 files" in out
    model = ComplaintModel.load(tmp_path / "mine-model.json")
    assert model.probability("退款还没到账") > 0.5 > model.probability("今天打卡")
    only = tmp_path / "only.jsonl"
    only.write_text(json.dumps(rows[0], ensure_ascii=False), "utf-8")
    code, out = run("complaints", "train", str(only), "--out", "x.json")
    assert code == 2
    assert out.strip() == (
        "cannot train: the files need at least 5 complaints and 5 ordinary messages "
        "(they have 1 and 0)"
    )
