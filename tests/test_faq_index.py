"""The incremental BM25 index: after any sequence of adds, edits and removals it scores
exactly as a fresh build of what it holds, and it scores as rank_bm25 does; the same for
the character vectors beside it, against scikit-learn."""

from __future__ import annotations

import math
import random

import pytest
from rank_bm25 import BM25Okapi

from faq.char_vectors import CharVectors
from faq.index import Bm25Index, Bm25Params

WORDS = [f"w{n}" for n in range(40)]


def random_documents(rng: random.Random, count: int) -> list[list[str]]:
    return [
        [rng.choice(WORDS[: rng.randint(5, 40)]) for _ in range(rng.randint(1, 12))]
        for _ in range(count)
    ]


def scores_by_key(index: Bm25Index, query: dict[str, float]) -> dict[object, float]:
    by_key: dict[object, float] = {}
    for doc, score in index.score_documents(query).items():
        key = index.key_of(doc)
        by_key[key] = max(by_key.get(key, 0.0), score)
    return by_key


@pytest.mark.parametrize("seed", range(5))
def test_changes_score_exactly_as_a_fresh_build(seed: int) -> None:
    rng = random.Random(seed)
    changed, held = Bm25Index(), {}
    for key in range(60):
        held[key] = random_documents(rng, rng.randint(1, 3))
        changed.add(key, held[key])
    changed.score_documents({"w1": 1.0})  # norms computed, then the base changes under them
    for _ in range(120):
        key = rng.randrange(80)
        if rng.random() < 0.4 and key in held:
            changed.remove(key)
            del held[key]
        else:
            held[key] = random_documents(rng, rng.randint(1, 3))
            changed.add(key, held[key])
        if rng.random() < 0.3:
            changed.score_documents({rng.choice(WORDS): 1.0})  # queries between changes
    fresh = Bm25Index()
    for key, documents in held.items():
        fresh.add(key, documents)
    for word in WORDS:
        query = {word: 1.0, rng.choice(WORDS): 0.5}
        expected, got = scores_by_key(fresh, query), scores_by_key(changed, query)
        assert expected.keys() == got.keys()
        for key, score in expected.items():
            assert got[key] == pytest.approx(score, rel=1e-12)


def test_removing_everything_leaves_an_empty_index() -> None:
    index = Bm25Index()
    index.add("a", [["退款", "到账"], ["退款"]])
    index.score_documents({"退款": 1.0})
    index.remove("a")
    assert len(index) == 0 and index.document_count == 0
    assert index.score_documents({"退款": 1.0}) == {}
    index.add("b", [["密码"]])
    assert set(scores_by_key(index, {"密码": 1.0})) == {"b"}


def test_scores_as_rank_bm25_does() -> None:
    """Term by term, the saturation and length normalisation are rank_bm25's BM25Okapi
    with the same k1 and b; the idf is the non-negative Okapi one, log(1 + …), where
    rank_bm25 floors negative idfs instead."""
    rng = random.Random(7)
    documents = random_documents(rng, 200)
    params = Bm25Params()
    index = Bm25Index(params)
    for number, document in enumerate(documents):
        index.add(number, [document])
    reference = BM25Okapi(documents, k1=params.k1, b=params.b)
    for word in WORDS:
        if not any(word in document for document in documents):
            continue
        theirs = reference.get_scores([word])
        ours = index.score_documents({word: 1.0})
        n, df = len(documents), sum(word in document for document in documents)
        their_idf = reference.idf[word]
        assert index.idf(word) == pytest.approx(math.log(1 + (n - df + 0.5) / (df + 0.5)))
        for number in range(len(documents)):
            expected = theirs[number] / their_idf * index.idf(word)
            assert ours.get(number, 0.0) == pytest.approx(expected, rel=1e-9, abs=1e-12)


# -- character vectors -------------------------------------------------------------------

CHARS = "积分兑换礼品密码忘记直播回放课程退款发票签到"


def random_phrasings(rng: random.Random) -> list[str]:
    return [
        "".join(rng.choice(CHARS) for _ in range(rng.randint(2, 10)))
        for _ in range(rng.randint(1, 3))
    ]


@pytest.mark.parametrize("seed", range(3))
def test_character_vectors_after_changes_are_a_fresh_build(seed: int) -> None:
    rng = random.Random(seed)
    changed, held = CharVectors(), {}
    for key in range(40):
        held[key] = random_phrasings(rng)
        changed.add(key, held[key])
    changed.similarities("积分", held)  # norms cached, then the base changes under them
    for _ in range(80):
        key = rng.randrange(50)
        if rng.random() < 0.4:
            changed.remove(key)
            held.pop(key, None)
        else:
            held[key] = random_phrasings(rng)
            changed.add(key, held[key])
    fresh = CharVectors()
    for key, texts in held.items():
        fresh.add(key, texts)
    for query in ("积分兑换", "忘记密码了", "直播回放在哪", "发票"):
        ours, theirs = changed.similarities(query, held), fresh.similarities(query, held)
        assert ours == pytest.approx(theirs, abs=1e-12)


def test_character_similarity_is_scikit_learns_tf_idf_cosine() -> None:
    """The same as ``TfidfVectorizer(analyzer="char", ngram_range=(1, 2))`` with cosine."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["积分怎么兑换礼品", "忘记密码怎么办", "直播有回放吗", "积分会过期吗", "发票怎么开"]
    vectors = CharVectors()
    for key, text in enumerate(texts):
        vectors.add(key, [text])
    tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
    matrix = tfidf.fit_transform(texts)
    for query in ("积分能换礼品吗", "密码忘了", "回放", "火星"):
        expected = (matrix @ tfidf.transform([query]).T).toarray()[:, 0]
        found = vectors.similarities(query, range(len(texts)))
        assert [found[key] for key in range(len(texts))] == pytest.approx(list(expected))
