"""The story so far: one verbatim sentence per dated article about a topic, oldest first.

1. Find the articles about the topic: a wide hybrid search (dense and BM25, fused as in
   retrieval) within the topic's filters (`from:`, `after:`/`before:`/`on:`, and time
   phrases, which here filter rather than rank) and up to the as-of day. An article is
   about the topic when its headline and opening sentences hold most of the topic's term
   weight (IDF) and every name the topic gives ("US Federal Reserve"), and one of its
   sentences (or passages, read with the headline) is near the topic in meaning: an
   article that mentions the topic in passing further down is not part of its story.
2. One entry per story: wire copies (bot/stories.py) appear once, under their first
   publication, with the other outlets as "also ran in". A later copy that adds sentences
   on a later day is an update, and gets an entry of its own.
3. For each entry, the sentence that best states what it adds: near the topic and near
   its own headline (an editor's summary of what the article brings), far from
   everything the earlier entries' articles already said (maximal marginal relevance),
   holding figures or names the story hasn't had yet, with a slight preference for the
   opening (news puts what is new first). The first report gets its most topical
   sentence; a follow-up that opens with the background gets its new development, not
   its first line; a recurring story's next step ("raised to 5.25%") gets the sentence
   with the new figure, not a definition that happens to repeat the topic's words.
4. With more entries than the limit: the first report and the latest always, and between
   them those that add the most.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

import numpy as np

from bot.answer_types import is_question, mentions, name_phrases
from bot.embeddings import Encoder
from bot.errors import QuestionError
from bot.index import ArticleRow, IndexReader, SentenceRow
from bot.query import Query, parse_query
from bot.ranking import overlap_score
from bot.records import Answer, Citation, Timeline, TimelineEntry
from bot.render import entry_line, heading
from bot.retrieval import fuse
from bot.terms import content_terms

DEFAULT_LIMIT = 12
SEARCH_CHUNKS = 300  # chunks each search returns: a long story has many articles
MAX_ARTICLES = 80  # articles considered (the best-matching first)
# About the topic: this share of its term weight in the headline and the first sentences,
# and a sentence this near in meaning.
TERMS_MIN = 0.6
SIMILARITY_MIN = 0.35
LEAD_SENTENCES = 3
# A sentence this near one already published says nothing new (a copy, a recap).
SAME_SENTENCE = 0.95
# What a sentence adds: nearness to the topic and to its headline, minus nearness to what
# earlier entries said, plus the share of its figures and names the story hasn't had and
# a new figure of its own, plus a small lead bonus falling with its position.
# Chosen by reading the timelines of the news set's recurring stories (rate decisions,
# elections, storms) and of tests/data/story/: see docs/news-context.md.
W_TOPIC = 0.3
W_HEADLINE = 0.7
W_REDUNDANCY = 0.4
W_NEW_FACTS = 0.1
W_NEW_FIGURE = 0.15
W_LEAD = 0.05
MIN_WORDS = 5
TOPIC_NEEDED = "A topic is needed: say what the timeline is about (timeline: Riverton strike)."

IdfFn = Callable[[str], float]
_PREFIX = re.compile(r"^\s*timeline\s*:\s*", re.I)
_FACT = re.compile(r"\b\d[\d,.]*\b|(?<=[^.!?]\s)[A-Z][\w'’-]+")
# A figure worth news: not a year, not a single digit ("2 million" aside, those are words).
_FIGURE = re.compile(r"(?!(?:19|20)\d\d$)(?:\d[\d,]*[\d.]\d*|\d{2,})$")


def timeline_topic(text: str) -> str | None:
    """The topic of a message that asks for a timeline ("timeline: Riverton strike"), else
    None (the Slack front's and the REPL's way of asking)."""
    match = _PREFIX.match(text)
    return text[match.end() :].strip() if match else None


@dataclass
class _Article:
    row: ArticleRow
    sentences: list[SentenceRow]
    similarity: float  # its best sentence's cosine with the topic


@dataclass
class _Entry:
    first: _Article
    copies: list[_Article] = field(default_factory=list)

    @property
    def published(self) -> datetime:
        assert self.first.row.published is not None
        return self.first.row.published

    def all_sentences(self) -> Iterable[tuple[ArticleRow, SentenceRow]]:
        for a in (self.first, *self.copies):
            for s in a.sentences:
                yield a.row, s


@dataclass(frozen=True)
class Choice:
    """The sentence chosen for an entry and how much it adds."""

    sentence: SentenceRow
    score: float


class TimelineBuilder:
    def __init__(self, store: IndexReader, encoder: Encoder) -> None:
        self.store = store
        self.encoder = encoder

    def build(
        self, topic: str, *, as_of: date | None = None, tz: tzinfo = UTC,
        limit: int = DEFAULT_LIMIT,
    ) -> Timeline:  # fmt: skip
        """The timeline of `topic` as of `as_of` (default: today in `tz`); `limit` 0: all."""
        if not re.search(r"\w", topic):
            raise QuestionError(TOPIC_NEEDED)
        query = parse_query(topic, as_of, tz)
        timeline = Timeline(topic=topic, search_query=query.text, notes=_notes(query))
        vector = self.encoder.encode([query.text])[0]
        terms = content_terms(query.text)
        stats = self.store.term_stats(terms)
        found = self._about(query, vector, terms, stats.idf)
        dated = [a for a in found if a.row.published is not None]
        timeline.undated = len(found) - len(dated)
        entries = group(dated)
        timeline.found = len(entries)
        headlines: list[np.ndarray] = []
        if entries:  # an editor's summary of what each article adds
            headlines = list(self.encoder.encode([e.first.row.headline for e in entries]))
        chosen = choose_sentences(entries, vector, headlines)
        timeline.found = len(chosen)  # an entry with nothing new to quote isn't one
        kept = keep(chosen, limit)
        timeline.entries = [
            TimelineEntry(_citation(n, e, c), round(c.score, 4))
            for n, (e, c) in enumerate(kept, start=1)
        ]
        if timeline.undated:
            timeline.notes.append(
                f"{timeline.undated} undated article{'s' if timeline.undated != 1 else ''} "
                "about it left out."
            )
        return timeline

    def _about(
        self, query: Query, vector: np.ndarray, terms: list[str], idf: IdfFn
    ) -> list[_Article]:
        """The articles about the topic within its filters, best-matching first."""
        allowed = self._allowed(query)
        if allowed is not None and len(allowed) == 0:
            return []
        dense_scores, dense = self.store.dense_search(vector, SEARCH_CHUNKS, allowed)
        _, lexical = self.store.lexical_search(terms, SEARCH_CHUNKS, allowed)
        fused = fuse([(dense, 1.0), (lexical, 1.0)])
        chunks = self.store.chunks(fused)
        # A passage's vector carries its headline: nearness of the best one, per article.
        passage: dict[int, float] = {}
        for chunk_id, score in zip(dense.tolist(), dense_scores.tolist(), strict=True):
            if chunk_id in chunks:
                article_id = chunks[chunk_id].article_id
                passage[article_id] = max(passage.get(article_id, -1.0), float(score))
        order: list[int] = []
        for chunk_id, _ in sorted(fused.items(), key=lambda x: x[1], reverse=True):
            chunk = chunks.get(chunk_id)
            if chunk is not None and chunk.article_id not in order:
                order.append(chunk.article_id)
        order = order[:MAX_ARTICLES]
        rows = self.store.articles(order)
        sentences: dict[int, list[SentenceRow]] = {}
        for s in self.store.sentences(self.store.chunk_ids_of(order)):
            sentences.setdefault(s.article_id, []).append(s)
        q_terms = set(terms)
        names = name_phrases(query.text)
        out = []
        for article_id in order:
            row, mine = rows.get(article_id), sorted(sentences.get(article_id, []), key=_start)
            if row is None or not mine:
                continue
            similarity = float((np.stack([s.vector for s in mine]) @ vector).max())
            similarity = max(similarity, passage.get(article_id, -1.0))
            lead = [row.headline, *(row.body[s.start : s.end] for s in mine[:LEAD_SENTENCES])]
            lead_terms = set(content_terms("\n".join(lead)))
            share = overlap_score(q_terms, lead_terms, idf)
            named = all(mentions(name, lead_terms) for name in names)
            if named and is_about(share, similarity):
                out.append(_Article(row, mine, similarity))
        return out

    def _allowed(self, query: Query) -> np.ndarray | None:
        """Chunks within the topic's outlets and period, up to the as-of day (None: all)."""
        start = query.period.start if query.period else None
        end = query.period.end if query.period else None
        if query.cutoff is not None and (end is None or query.cutoff < end):
            latest = self.store.published_range()[1]
            end = query.cutoff if latest is not None and latest >= query.cutoff else end
        if not (query.outlets or start or end):
            return None
        return self.store.chunk_ids_matching(
            query.outlets, start, end, include_undated=query.period is None
        )


def is_about(term_share: float, similarity: float) -> bool:
    return term_share >= TERMS_MIN and similarity >= SIMILARITY_MIN


def _start(s: SentenceRow) -> int:
    return s.start


def _notes(query: Query) -> list[str]:
    notes = []
    if query.period is not None:
        notes.append(query.period.describe().replace("Preferred", "Searched"))
    if query.outlets:
        notes.append(f"Searched only articles from {' or '.join(query.outlets)}.")
    return notes


def group(articles: Sequence[_Article]) -> list[_Entry]:
    """One entry per story, oldest first: wire copies join their first publication; a copy
    on a later day that says something new is an update with an entry of its own."""
    by_story: dict[int, list[_Article]] = {}
    for a in articles:
        by_story.setdefault(a.row.story_key, []).append(a)
    entries: list[_Entry] = []
    for members in by_story.values():
        members.sort(key=lambda a: (a.row.published, a.row.id))
        current = _Entry(members[0])
        entries.append(current)
        said = [s.vector for s in members[0].sentences]
        for a in members[1:]:
            new = _adds(a.sentences, said)
            later_day = a.row.published.date() > current.published.date()  # type: ignore[union-attr]
            if new and later_day:
                current = _Entry(a)
                entries.append(current)
            else:
                current.copies.append(a)
            said += [s.vector for s in a.sentences]
    entries.sort(key=lambda e: (e.published, e.first.row.id))
    return entries


def _adds(sentences: Sequence[SentenceRow], said: Sequence[np.ndarray]) -> bool:
    if not said:
        return bool(sentences)
    known = np.stack(said)
    return any(float((known @ s.vector).max()) < SAME_SENTENCE for s in sentences)


def choose_sentences(
    entries: Sequence[_Entry], topic: np.ndarray, headlines: Sequence[np.ndarray]
) -> list[tuple[_Entry, Choice]]:
    """Each entry with the sentence that best states what it adds to the entries before
    (`headlines`: each entry's headline vector)."""
    chosen: list[tuple[_Entry, Choice]] = []
    said: list[np.ndarray] = []
    facts: set[str] = set()
    shown: set[str] = set()
    for entry, headline in zip(entries, headlines, strict=True):
        best = best_sentence(entry.first, topic, headline, said, facts)
        text = _shown_text(entry.first, best) if best is not None else ""
        # A later copy whose best sentence an earlier entry already quotes adds nothing to
        # show: it would read as the same development twice.
        if best is not None and text not in shown:
            chosen.append((entry, best))
            shown.add(text)
        for row, s in entry.all_sentences():
            said.append(s.vector)
            facts |= _facts(row.body[s.start : s.end])
    return chosen


def _shown_text(article: _Article, choice: Choice) -> str:
    body = article.row.body
    return " ".join(body[choice.sentence.start : choice.sentence.end].split()).lower()


def best_sentence(
    article: _Article,
    topic: np.ndarray,
    headline: np.ndarray,
    said: Sequence[np.ndarray],
    facts: set[str],
) -> Choice | None:
    """The sentence of `article` that best states what it adds (see the module's note),
    given the vectors of everything earlier entries said and their figures and names."""
    body = article.row.body
    known = np.stack(said) if said else None
    best: Choice | None = None
    for position, s in enumerate(article.sentences):
        text = body[s.start : s.end]
        if len(text.split()) < MIN_WORDS or is_question(text):
            continue
        redundancy = float((known @ s.vector).max()) if known is not None else 0.0
        mine = _facts(text)
        new = mine - facts
        score = (
            W_TOPIC * float(s.vector @ topic)
            + W_HEADLINE * float(s.vector @ headline)
            - W_REDUNDANCY * redundancy
            + W_NEW_FACTS * (len(new) / len(mine) if mine else 0.0)
            + W_NEW_FIGURE * any(_FIGURE.match(x) for x in new)
            + W_LEAD / (position + 1)
        )
        if best is None or score > best.score:
            best = Choice(s, score)
    return best


def _facts(text: str) -> set[str]:
    """Figures and names in a sentence (its first word aside): what a development adds."""
    return {m.group().lower().rstrip(".,") for m in _FACT.finditer(text)}


def keep(chosen: Sequence[tuple[_Entry, Choice]], limit: int) -> list[tuple[_Entry, Choice]]:
    """At most `limit` entries (0: all): the first report, the latest, and between them
    the ones that add the most, in date order."""
    if limit <= 0 or len(chosen) <= limit:
        return list(chosen)
    if limit == 1:
        return [chosen[-1]]
    middle = sorted(range(1, len(chosen) - 1), key=lambda i: chosen[i][1].score, reverse=True)
    picked = sorted([0, len(chosen) - 1, *middle[: limit - 2]])
    return [chosen[i] for i in picked]


def _citation(marker: int, entry: _Entry, choice: Choice) -> Citation:
    row = entry.first.row
    s = choice.sentence
    mine = row.attribution
    also = [c.row.attribution or c.row.source_path for c in entry.copies]
    return Citation(
        marker=marker, **row.source_fields(), quote=row.body[s.start : s.end], start=s.start,
        end=s.end, also_ran_in=tuple(dict.fromkeys(x for x in also if x and x != mine)),
    )  # fmt: skip


# -- as an answer, for the fronts that keep answers (Slack's records and buttons) ------


def as_answer(timeline: Timeline) -> Answer:
    """The timeline in an Answer's shape: its entries as lines with markers, its sources
    as citations (what Slack posts, records for votes and shares again)."""
    citations = [e.citation for e in timeline.entries]
    lines = [heading(timeline), *(entry_line(c) for c in citations)]
    return Answer(
        question=f"timeline: {timeline.topic}",
        text="\n".join(lines),
        declined=not citations,
        citations=citations,
        timings=dict(timeline.timings),
        notes=list(timeline.notes),
        search_query=timeline.search_query,
    )
