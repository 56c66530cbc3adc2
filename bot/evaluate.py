"""`newsbot eval`: answer a questions file over a corpus and score the answers.

Formats and scoring rules are those of the evaluation README (shared/eval/README.md):
article recall@k and MRR, answer accuracy (normalised containment), declining,
citation precision/recall with verbatim quotes, answer length, latency.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import statistics
import string
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import IndexFormatError, NewsbotError
from bot.records import Answer

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.embeddings import Encoder
    from bot.index import IndexReader

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’—–…")


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    evidence_files: frozenset[str]
    type: str | None
    question_date: date | None = None
    kind: str | None = None  # the questions file's optional label (time, paraphrase, ...)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass
class Prediction:
    id: str
    answer: str
    declined: bool
    citations: list[dict[str, str]]
    retrieved: list[str]
    latency_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "answer": self.answer,
            "declined": self.declined,
            "citations": self.citations,
            "retrieved": self.retrieved,
        }


@dataclass
class Scores:
    n: int = 0
    answerable: int = 0
    unanswerable: int = 0
    recall: dict[int, float] = field(default_factory=dict)
    mrr: float = 0.0
    accuracy: float = 0.0
    accuracy_answerable: float = 0.0
    accuracy_unanswerable: float = 0.0
    declined_answerable: float = 0.0
    citation_precision: float = 0.0
    citation_recall: float = 0.0
    mean_words: float = 0.0
    max_words: int = 0
    latency_p50: float = 0.0
    latency_p95: float = 0.0

    def rows(self) -> list[tuple[str, str]]:
        """(metric, value) lines; a metric that needs answerable (or unanswerable)
        questions shows "-" when there are none, rather than a misleading 0."""

        def a(value: float) -> str:
            return f"{value:.3f}" if self.answerable else "-"

        return [
            ("questions", str(self.n)),
            *[(f"article recall@{k}", a(v)) for k, v in sorted(self.recall.items())],
            ("article MRR", a(self.mrr)),
            ("answer accuracy", f"{self.accuracy:.3f}" if self.n else "-"),
            ("  on answerable", a(self.accuracy_answerable)),
            (
                "  on unanswerable (declined)",
                f"{self.accuracy_unanswerable:.3f}" if self.unanswerable else "-",
            ),
            ("answerable declined", a(self.declined_answerable)),
            ("citation precision", a(self.citation_precision)),
            ("citation recall", a(self.citation_recall)),
            ("mean answer length (words)", f"{self.mean_words:.1f}"),
            ("longest answer (words)", str(self.max_words)),
            ("latency p50 (ms)", f"{self.latency_p50:.0f}"),
            ("latency p95 (ms)", f"{self.latency_p95:.0f}"),
        ]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["recall"] = {str(k): v for k, v in sorted(self.recall.items())}
        return data


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a questions JSONL file; a malformed line is an error naming file and line."""
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(raw["id"]),
                    question=str(raw["question"]),
                    answers=tuple(raw.get("answers") or ()),
                    evidence_files=frozenset(e["article_file"] for e in raw.get("evidence") or ()),
                    type=raw.get("type"),
                    question_date=_date(raw.get("question_date")),
                    kind=_kind(raw),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise NewsbotError(f"{path}:{n}: not a valid question ({exc})") from exc
    return questions


UNANSWERABLE_KIND = "unanswerable"


def _kind(raw: dict[str, Any]) -> str | None:
    """The question's `kind`; a file with kinds labels unanswerable questions (kind null)."""
    if "kind" not in raw:
        return None
    kind = raw["kind"]
    return str(kind) if kind not in (None, "null", "") else UNANSWERABLE_KIND


def _date(value: str | None) -> date | None:
    return datetime.fromisoformat(value).date() if value else None


def normalize(text: str) -> str:
    """Lower-case, drop punctuation and articles, fold white space (the eval README's rule)."""
    text = text.lower().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def answer_correct(question: EvalQuestion, prediction: Prediction) -> bool:
    if not question.answerable:
        return prediction.declined
    if prediction.declined:
        return False
    predicted = normalize(prediction.answer)
    return any(normalize(a) and normalize(a) in predicted for a in question.answers)


def to_prediction(
    question: EvalQuestion, answer: Answer, corpus: Path, latency_ms: float
) -> Prediction:
    def name(path: str) -> str:
        try:
            return Path(path).resolve().relative_to(corpus.resolve()).as_posix()
        except ValueError:
            return Path(path).name

    return Prediction(
        id=question.id,
        answer="" if answer.declined else _strip_markers(answer.text),
        declined=answer.declined,
        citations=[
            {"article_file": name(c.source_path), "text": c.quote} for c in answer.citations
        ],
        retrieved=[name(r.source_path) for r in answer.retrieved],
        latency_ms=latency_ms,
    )


def _strip_markers(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text).strip()


def score(
    questions: Sequence[EvalQuestion],
    predictions: Sequence[Prediction],
    corpus_text: Callable[[str], str] | None = None,
    ks: Iterable[int] = (1, 5, 10),
) -> Scores:
    """Scores of predictions against questions (matched by id)."""
    by_id = {p.id: p for p in predictions}
    pairs = [(q, by_id[q.id]) for q in questions if q.id in by_id]
    answerable = [(q, p) for q, p in pairs if q.answerable]
    unanswerable = [(q, p) for q, p in pairs if not q.answerable]
    s = Scores(n=len(pairs), answerable=len(answerable), unanswerable=len(unanswerable))
    if not pairs:
        return s
    for k in ks:
        s.recall[k] = _mean(bool(set(p.retrieved[:k]) & q.evidence_files) for q, p in answerable)
    s.mrr = _mean(_reciprocal_rank(q, p) for q, p in answerable)
    s.accuracy = _mean(answer_correct(q, p) for q, p in pairs)
    s.accuracy_answerable = _mean(answer_correct(q, p) for q, p in answerable)
    s.accuracy_unanswerable = _mean(p.declined for _, p in unanswerable)
    s.declined_answerable = _mean(p.declined for _, p in answerable)
    cited = [(q, c) for q, p in answerable for c in p.citations]
    s.citation_precision = _mean(_citation_ok(q, c, corpus_text) for q, c in cited)
    s.citation_recall = _mean(
        len({c["article_file"] for c in p.citations if _citation_ok(q, c, corpus_text)})
        / len(q.evidence_files)
        for q, p in answerable
        if q.evidence_files
    )
    lengths = [len(p.answer.split()) for _, p in pairs if not p.declined]
    s.mean_words = _mean(lengths)
    s.max_words = max(lengths, default=0)
    latencies = sorted(p.latency_ms for _, p in pairs)
    s.latency_p50 = statistics.median(latencies)
    s.latency_p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    return s


def _citation_ok(
    q: EvalQuestion, citation: dict[str, str], corpus_text: Callable[[str], str] | None
) -> bool:
    if citation["article_file"] not in q.evidence_files:
        return False
    return corpus_text is None or citation["text"] in corpus_text(citation["article_file"])


def _reciprocal_rank(q: EvalQuestion, p: Prediction) -> float:
    for rank, name in enumerate(p.retrieved, start=1):
        if name in q.evidence_files:
            return 1.0 / rank
    return 0.0


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


def run(
    ask: Callable[[EvalQuestion], Answer],
    questions: Sequence[EvalQuestion],
    corpus: Path,
    progress: Callable[[int, int], None] | None = None,
) -> list[Prediction]:
    predictions = []
    for i, q in enumerate(questions):
        started = time.perf_counter()
        answer = ask(q)
        latency = (time.perf_counter() - started) * 1000
        predictions.append(to_prediction(q, answer, corpus, latency))
        if progress:
            progress(i + 1, len(questions))
    return predictions


def corpus_reader(corpus: Path) -> Callable[[str], str]:
    """File name -> text, read once per file."""
    cache: dict[str, str] = {}

    def read(name: str) -> str:
        if name not in cache:
            path = corpus / name
            cache[name] = path.read_text(encoding="utf-8") if path.is_file() else ""
        return cache[name]

    return read


def open_index(settings: Settings, encoder: Encoder, *, disposable: bool) -> IndexReader:
    """Open or create the eval index the settings name. A disposable (cached) directory
    from another newsbot version or encoder is rebuilt; a user's own index is never
    deleted."""
    from bot import index

    def open_() -> IndexReader:
        return index.open_index(
            settings, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
        )

    try:
        return open_()
    except IndexFormatError:
        if not disposable:
            raise
        shutil.rmtree(settings.index)
        return open_()


def default_index(corpus: Path, encoder: str = "minilm") -> Path:
    """A cached index per corpus folder (and encoder), so a second eval run reuses the
    embeddings."""
    key = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:10]
    suffix = "" if encoder == "minilm" else f"-{encoder}"
    return Path.home() / ".cache" / "newsbot" / f"eval-{corpus.resolve().name}-{key}{suffix}"


def score_by_kind(
    questions: Sequence[EvalQuestion],
    predictions: Sequence[Prediction],
    corpus_text: Callable[[str], str] | None = None,
    ks: Iterable[int] = (1, 5, 10),
) -> dict[str, Scores]:
    """Scores per question `kind`, most frequent kind first; empty when no question has one."""
    counts: dict[str, int] = {}
    for q in questions:
        if q.kind:
            counts[q.kind] = counts.get(q.kind, 0) + 1
    kinds = sorted(counts, key=lambda k: (k == UNANSWERABLE_KIND, -counts[k], k))
    return {
        k: score([q for q in questions if q.kind == k], predictions, corpus_text, ks) for k in kinds
    }


def table(scores: Scores, by_kind: dict[str, Scores] | None = None, title: str = "all") -> str:
    """The scores as a text table: one column for all questions, then one per kind."""
    columns = [(title, scores.rows()), *((k, s.rows()) for k, s in (by_kind or {}).items())]
    names = [name for name, _ in columns[0][1]]
    width = max(len(name) for name in names)
    widths = [max(len(head), *(len(v) for _, v in rows)) for head, rows in columns]
    lines = [
        "  ".join(
            [
                f"{'metric':<{width}}",
                *(f"{h:>{w}}" for (h, _), w in zip(columns, widths, strict=True)),
            ]
        )
    ]
    for i, name in enumerate(names):
        cells = (f"{rows[i][1]:>{w}}" for (_, rows), w in zip(columns, widths, strict=True))
        lines.append("  ".join([f"{name:<{width}}", *cells]))
    return "\n".join(lines)


def scores_json(scores: Scores, by_kind: dict[str, Scores]) -> dict[str, Any]:
    """What `--scores-json` writes."""
    return {"all": scores.to_json(), "by_kind": {k: s.to_json() for k, s in by_kind.items()}}
