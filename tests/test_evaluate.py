from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import NewsbotError
from bot.evaluate import EvalQuestion, Prediction, answer_correct, load_questions, normalize, score


def q(id_: str, answers: tuple[str, ...], gold: set[str]) -> EvalQuestion:
    return EvalQuestion(id_, "?", answers, frozenset(gold), "what" if answers else None)


def p(
    id_: str,
    answer: str,
    retrieved: list[str],
    cites: list[tuple[str, str]] = (),
    declined: bool = False,
) -> Prediction:  # type: ignore[assignment]
    return Prediction(
        id_, answer, declined, [{"article_file": f, "text": t} for f, t in cites], retrieved, 10.0
    )


def test_normalize_follows_the_eval_rules() -> None:
    assert normalize("The  U.S.-led Coalition, an ally!") == "usled coalition ally"
    assert normalize("“Over 100” troops") == "over 100 troops"


def test_answer_correctness() -> None:
    assert answer_correct(q("1", ("over 100",), {"a"}), p("1", "Over 100 troops were killed.", []))
    assert not answer_correct(q("1", ("over 100",), {"a"}), p("1", "", [], declined=True))
    assert answer_correct(q("2", (), set()), p("2", "", [], declined=True))
    assert not answer_correct(q("2", (), set()), p("2", "Something.", []))


def test_scores_recall_mrr_citations_and_declining() -> None:
    questions = [q("1", ("100",), {"a.txt"}), q("2", ("Veale",), {"b.txt"}), q("3", (), set())]
    texts = {"a.txt": "Over 100 troops were killed.", "b.txt": "said Colonel Veale.", "c.txt": "x"}
    predictions = [
        p(
            "1",
            "Over 100 troops were killed.",
            ["a.txt", "b.txt"],
            [("a.txt", "Over 100 troops were killed.")],
        ),
        p(
            "2",
            "Nothing useful.",
            ["c.txt", "b.txt"],
            [("c.txt", "x"), ("b.txt", "not in the file")],
        ),
        p("3", "", ["a.txt"], declined=True),
    ]
    s = score(questions, predictions, texts.__getitem__, ks=(1, 2))
    assert s.n == 3
    assert s.recall == {1: 0.5, 2: 1.0}
    assert s.mrr == pytest.approx((1 + 0.5) / 2)
    assert s.accuracy == pytest.approx(2 / 3)
    assert (s.accuracy_answerable, s.accuracy_unanswerable, s.declined_answerable) == (
        0.5,
        1.0,
        0.0,
    )
    assert s.citation_precision == pytest.approx(
        1 / 3
    )  # wrong article, and a quote not in the file
    assert s.citation_recall == 0.5
    assert s.mean_words == pytest.approx((5 + 2) / 2)


def test_load_questions_reports_bad_lines(tmp_path: Path) -> None:
    good = {
        "id": "x",
        "question": "Who?",
        "answers": ["Ann"],
        "evidence": [{"article_file": "a.txt", "text": "t"}],
        "type": "who",
        "question_date": "2018-02-08",
    }
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps({"id": "y"}) + "\n", encoding="utf-8")
    with pytest.raises(NewsbotError, match=r"q.jsonl:3: not a valid question"):
        load_questions(path)
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    (loaded,) = load_questions(path)
    assert loaded.evidence_files == {"a.txt"} and loaded.question_date.isoformat() == "2018-02-08"  # type: ignore[union-attr]


def test_a_stale_cached_eval_index_is_rebuilt_but_a_users_is_not(tmp_path: Path) -> None:
    from bot.evaluate import open_index
    from bot.index.embedded import EmbeddedIndex
    from tests.fakes import FakeEncoder

    encoder = FakeEncoder()

    def settings_for(directory: Path) -> Settings:
        return Settings(index=directory, _env_file=None)  # type: ignore[call-arg]

    for disposable in (True, False):
        directory = tmp_path / f"index-{disposable}"
        EmbeddedIndex.open(directory, fingerprint="another-encoder", dim=8, create=True).close()
        if disposable:
            store = open_index(settings_for(directory), encoder, disposable=True)
            assert store.fingerprint == encoder.fingerprint
            store.close()
        else:
            with pytest.raises(NewsbotError, match="was built with encoder"):
                open_index(settings_for(directory), encoder, disposable=False)
            assert EmbeddedIndex.open(directory).fingerprint == "another-encoder"
