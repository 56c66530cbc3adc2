"""The extractive answerer: the best-supported sentences, verbatim, each with its citation,
and the short answer inside the best one (a name, a number with its unit, a date) when the
question asks for one.

Sentences arrive scored by retrieval (bot/ranking.py). The decline threshold and the keep
margin were chosen on the dated news set with `bench/tune_news.py` (see the docs' Quality
page for what they trade).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.answer_types import Span, expected_type
from bot.index import ArticleRow, SentenceRow
from bot.instructions import quoted, without_instructions
from bot.ranking import Candidate, decision_score, score_candidates
from bot.records import DECLINE_TEXT, Citation, ShortAnswer
from bot.retrieval import Passage, Retrieval
from bot.terms import content_terms
from bot.time_prior import TimeFit

# Another sentence joins the answer only from the best one's article, and only when it
# scores nearly as well: sentences from other articles added words and wrong sources but
# no right answers on the news set (bench/tune_news.py).
KEEP_MARGIN = 0.05
MAX_SENTENCES = 3
# Words the answer adds around quotes: a marker "[n]" after each, and "…" on both sides of
# a trimmed sentence. The budget counts them, so the shown answer never exceeds it.
MARKER_WORDS = 1
TRIM_WORDS = 2
# Below this the best evidence is too weak: the bot declines rather than guess.
MIN_SCORE = 0.74

_WORD_SPAN = re.compile(r"\S+")
# A short answer is shown in bold, so it must be plain words, numbers and their signs: no
# markup characters that the bold marks could pair with or break.
_SHOWABLE = re.compile(r"[\w\s.,'’$€£¥₹%:/×-]+")


@dataclass(frozen=True)
class ScoredSentence:
    sentence: SentenceRow
    passage: Passage
    score: float
    start: int  # the quoted span: the whole sentence, or a window of a very long one
    end: int
    candidate: Candidate | None = None

    @property
    def text(self) -> str:
        return self.passage.article.body[self.start : self.end]

    @property
    def trimmed(self) -> bool:
        return (self.start, self.end) != (self.sentence.start, self.sentence.end)

    @classmethod
    def of(cls, c: Candidate) -> ScoredSentence:
        p = c.passage
        return cls(c.sentence, p, c.score, c.sentence.start, c.sentence.end, c)


@dataclass(frozen=True)
class Draft:
    text: str
    citations: list[Citation]
    declined: bool
    short_answer: ShortAnswer | None = None


IdfFn = Callable[[str], float]


def score_sentences(
    question: str,
    query_vector: np.ndarray,
    passages: Sequence[Passage],
    sentences: Sequence[SentenceRow],
    idf: IdfFn = lambda _: 1.0,
    fit: TimeFit | None = None,
) -> list[ScoredSentence]:
    """Every candidate sentence with its score, best first (pure: no I/O)."""
    return [
        ScoredSentence.of(c)
        for c in score_candidates(question, query_vector, passages, sentences, idf, fit)
    ]


def trim(s: ScoredSentence, question: str, max_words: int, idf: IdfFn) -> ScoredSentence:
    """A sentence longer than the budget is cut to the run of `max_words` words holding
    most of the question's term weight (a verbatim fragment, shown with ellipses)."""
    body = s.passage.article.body
    words = list(_WORD_SPAN.finditer(body, s.sentence.start, s.sentence.end))
    if len(words) <= max_words:
        return s
    q_terms = set(content_terms(question))
    weights = [sum(idf(t) for t in set(content_terms(w.group())) if t in q_terms) for w in words]
    sums = np.convolve(weights, np.ones(max_words), mode="valid")
    # Among the heaviest windows, centre the matched words: the answer to a question
    # usually stands next to the words it shares with it, on either side.
    centre = np.average(np.arange(len(words)), weights=np.asarray(weights) + 1e-9)
    heaviest = np.flatnonzero(sums >= sums.max() - 1e-9)
    best = int(heaviest[np.argmin(np.abs(heaviest + (max_words - 1) / 2 - centre))])
    first, last = words[best], words[best + max_words - 1]
    return replace(s, start=first.start(), end=last.end())


def shown_words(s: ScoredSentence) -> int:
    """Words `s` takes in the answer: its own, its marker, and "…" where trimmed."""
    return len(s.text.split()) + MARKER_WORDS + (TRIM_WORDS if s.trimmed else 0)


def select(scored: Sequence[ScoredSentence], max_words: int) -> list[ScoredSentence]:
    """The best sentence, plus up to two nearly as good ones of its article that fit the
    word budget."""
    if not scored:
        return []
    chosen = [scored[0]]
    words = shown_words(scored[0])
    for s in scored[1:]:
        if len(chosen) >= MAX_SENTENCES or s.score < scored[0].score - KEEP_MARGIN:
            break
        if s.passage.article.id != scored[0].passage.article.id:
            continue
        n = shown_words(s)
        if words + n <= max_words:
            chosen.append(s)
            words += n
    return chosen


def within_budget(
    scored: Sequence[ScoredSentence], question: str, max_words: int, idf: IdfFn
) -> tuple[str, list[Citation], list[ScoredSentence]]:
    """The answer from sentences scored best first: at most `max_words` words as shown,
    with its citations and the sentences chosen (best first)."""
    best = scored[0]
    if shown_words(best) > max_words:
        best = trim(best, question, max_words - MARKER_WORDS - TRIM_WORDS, idf)
    chosen = select([best, *scored[1:]], max_words)
    text, citations = compose(chosen)
    return text, citations, chosen


def should_decline(best: Candidate | ScoredSentence | None, fit: TimeFit | None = None) -> bool:
    if isinstance(best, ScoredSentence):
        best = best.candidate
    return best is None or decision_score(best, fit) < MIN_SCORE


def compose(chosen: Sequence[ScoredSentence]) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers; adjacent sentences of one article share a citation."""
    groups: list[list[ScoredSentence]] = []
    for s in chosen:  # best first; glue a sentence to a group it directly borders
        for g in groups:
            if g[0].passage.article.id == s.passage.article.id and _adjacent(g, s):
                g.append(s)
                g.sort(key=lambda x: x.start)
                break
        else:
            groups.append([s])
    parts, citations = [], []
    for marker, g in enumerate(groups, start=1):
        article = g[0].passage.article
        start, end = g[0].start, g[-1].end
        quote = article.body[start:end]
        shown = ("… " if g[0].start > g[0].sentence.start else "") + quoted(quote)
        shown += " …" if g[-1].end < g[-1].sentence.end else ""
        parts.append(f"{shown} [{marker}]")
        citations.append(cite(marker, article, start, end))
    return " ".join(parts), citations


def cite(marker: int, article: ArticleRow, start: int, end: int) -> Citation:
    """The citation of `article.body[start:end]` as source [marker]."""
    return Citation(
        marker=marker, **article.source_fields(), quote=article.body[start:end], start=start,
        end=end,
    )  # fmt: skip


def _adjacent(group: list[ScoredSentence], s: ScoredSentence) -> bool:
    if s.trimmed or any(x.trimmed for x in group):
        return False
    body = s.passage.article.body
    first, last = group[0], group[-1]
    between = body[last.end : s.start] if s.start >= last.end else body[s.end : first.start]
    return between.strip() == "" and "\n\n" not in between


def short_answer(chosen: ScoredSentence, question: str, marker: int = 1) -> ShortAnswer | None:
    """The answer's key fact inside the quote of `chosen`: of the spans of the type asked,
    the one nearest the words the sentence shares with the question. None when the
    question asks for no such type, when the sentence's amounts count something else than
    the question asks about, or when no span lies wholly inside the quote."""
    c = chosen.candidate
    # typed < 1: its amounts count another thing than the question's "how many troops"
    # ("17 kilometers"); no key fact in bold beats a wrong one.
    if c is None or not c.spans or c.typed < 1.0:
        return None
    base = chosen.sentence.start
    inside = [x for x in c.spans if chosen.start <= base + x.start and base + x.end <= chosen.end]
    if not inside:
        return None
    body = chosen.passage.article.body
    sentence = body[chosen.sentence.start : chosen.sentence.end]
    q_terms = set(content_terms(question))
    anchors = [
        m.start() for m in _WORD_SPAN.finditer(sentence) if set(content_terms(m.group())) & q_terms
    ]
    shown = [x for x in inside if _SHOWABLE.fullmatch(x.text)]
    if not shown:
        return None
    wanted = expected_type(question)
    # a span of the very type asked beats a nearer one of another ("Colonel … Veale", not
    # "Syria", for "who"); then the one nearest the question's words
    best = min(shown, key=lambda x: (x.type is not wanted, _distance(x, anchors), shown.index(x)))
    start, end = base + best.start, base + best.end
    return ShortAnswer(text=body[start:end], marker=marker, start=start, end=end)


def _distance(span: Span, anchors: Sequence[int]) -> int:
    if not anchors:
        return 0
    return min(min(abs(a - span.start), abs(a - span.end)) for a in anchors)


class ExtractiveAnswerer:
    name = "extractive"

    def answer(self, question: str, retrieval: Retrieval, *, max_words: int) -> Draft:
        # Planted instructions are data, never the answer (bot/instructions.py).
        candidates = without_instructions(retrieval.candidates, lambda c: c.text)
        best = candidates[0] if candidates else None
        if should_decline(best, retrieval.fit):
            return Draft(DECLINE_TEXT, [], True)
        assert best is not None
        idf: IdfFn = retrieval.lexical.idf if retrieval.lexical else (lambda _: 1.0)
        scored = [ScoredSentence.of(c) for c in candidates]
        text, citations, chosen = within_budget(scored, question, max_words, idf)
        short = None
        if chosen and chosen[0].candidate is best:
            marker = next((c.marker for c in citations if c.start <= chosen[0].start < c.end), 1)
            short = short_answer(chosen[0], question, marker)
        return Draft(text, citations, False, short)
