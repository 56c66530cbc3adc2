"""What else the archive says about a cited story: newer coverage, and a figure that changed.

For each citation of an answer, the articles on the same story are the other copies of its
wire story (bot/stories.py) and the close matches: articles whose headline and whole text
are both near the cited one's (cosine of headline vectors, and of the articles' mean
sentence vectors). Only what exists on the question's as-of day counts: nothing published
after `Query.cutoff`.

A close match must also be near in time (within STORY_DAYS of the cited article) and name
most of the people, places and organisations its opening sentences name: two storms, two
rate decisions or two elections read alike, but name other places, people or months.

* Newer coverage: those published after the cited article that add something to it (a
  sentence it doesn't have), newest first, at most two per citation.
* Figures differ: a figure in a quote ("over 100 killed") that a newer or same-day
  article on the story gives differently for the same thing ("150 killed"), in a sentence
  close in meaning, where neither sentence names a place, person or year the other
  article never mentions (bot/figures.py). One line per answer, the newest such
  article's; none when unsure.

The close-match thresholds let the same story retold pass and keep a look-alike from
another week or another place out (tests/data/story/ and tests/test_coverage.py hold
both); docs/news-context.md gives what they did on the dated news set.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from bot import figures
from bot.embeddings import Encoder
from bot.index import ArticleRow, IndexReader, SentenceRow
from bot.records import Answer, Citation, Coverage, Figure, FigureChange

log = logging.getLogger(__name__)

NEWER_SHOWN = 2  # newer articles named per citation
SEARCH_CHUNKS = 60  # chunks searched for close matches per citation
MAX_MATCHES = 12  # articles compared per citation
# A close match: headline and whole text both this near the cited article's (cosine),
# naming this share of the names its first sentences name, within this many days.
HEADLINE_MIN = 0.6
CONTENT_MIN = 0.65
NAMES_MIN = 0.6
STORY_DAYS = 31
LEAD_SENTENCES = 3
# A sentence this near one of the cited article's says nothing new (a copy's reworded line).
SAME_SENTENCE = 0.95
# Two figures count the same thing only in sentences at least this near in meaning.
FIGURE_SENTENCE_MIN = 0.6
# Related coverage: a retrieved article whose whole text is this near a cited one's (the
# same broad topic; a small archive's unrelated local news stays under it).
RELATED_MIN = 0.4


@dataclass(frozen=True)
class Story:
    """An article on the same story as a cited one, with what comparing them needs."""

    article: ArticleRow
    same_story: bool  # a copy in the story group, else a close match
    sentences: tuple[SentenceRow, ...]
    headline_similarity: float
    content_similarity: float
    names_share: float


def centroid(vectors: Sequence[np.ndarray]) -> np.ndarray | None:
    """The unit mean of sentence vectors: what a whole article is about."""
    if not vectors:
        return None
    mean = np.mean(np.stack(vectors), axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None


def is_close_match(
    headline_similarity: float, content_similarity: float, names_share: float, days: float
) -> bool:
    return (
        headline_similarity >= HEADLINE_MIN
        and content_similarity >= CONTENT_MIN
        and names_share >= NAMES_MIN
        and abs(days) <= STORY_DAYS
    )


def key_names(article: ArticleRow, sentences: Sequence[SentenceRow]) -> set[str]:
    """Who and where the story is about: the names in its first sentences (not days or
    months, not its own outlet's name)."""
    lead = " ".join(article.body[s.start : s.end] for s in sentences[:LEAD_SENTENCES])
    ignore = [article.attribution] if article.attribution else []
    return figures.names(lead, ignore)


def names_share(names: set[str], article: ArticleRow) -> float:
    """The share of `names` that the article's headline or text mentions (0 with none)."""
    if not names:
        return 0.0
    return len(names & figures.words_of(f"{article.headline}\n{article.body}")) / len(names)


def adds_something(story: Story, cited: Sequence[SentenceRow]) -> bool:
    """Whether a later article says anything the cited one doesn't (an identical copy run
    again later is not newer coverage)."""
    if not story.sentences:
        return False
    if not cited:
        return True
    ours = np.stack([s.vector for s in cited])
    theirs = np.stack([s.vector for s in story.sentences])
    return bool(((theirs @ ours.T).max(axis=1) < SAME_SENTENCE).any())


def newer_coverage(
    cited: ArticleRow,
    stories: Sequence[Story],
    cited_sentences: Sequence[SentenceRow],
    exclude: AbstractSet[int] = frozenset(),
) -> tuple[Coverage, ...]:
    """The newest articles on the story published after `cited`, that add to it."""
    if cited.published is None:
        return ()
    newer = [
        s
        for s in stories
        if s.article.published is not None
        and s.article.published > cited.published
        and s.article.id not in exclude
        and adds_something(s, cited_sentences)
    ]
    newer.sort(key=lambda s: (s.article.published, s.article.id), reverse=True)
    return tuple(_coverage(s) for s in newer[:NEWER_SHOWN])


def _coverage(s: Story) -> Coverage:
    a = s.article
    return Coverage(**a.source_fields(), same_story=s.same_story)


def same_day(a: datetime, b: datetime) -> bool:
    """Whether `b` falls on `a`'s calendar day, in `a`'s own time zone."""
    return b.astimezone(a.tzinfo).date() == a.date()


def figure_change(
    citation: Citation,
    cited: ArticleRow,
    cited_sentences: Sequence[SentenceRow],
    stories: Sequence[Story],
) -> FigureChange | None:
    """The quote's figure and the different one a newer or same-day article on the story
    gives for the same thing; None when there is none or any doubt."""
    if cited.published is None:
        return None
    in_quote = figures.unambiguous(
        figures.mentions(citation.quote), figures.mentions(citation.quote, loose=True)
    )
    if not in_quote:
        return None
    when = cited.published
    later = [
        s
        for s in stories
        if (p := s.article.published) is not None
        and (p > when or same_day(when, p))
        and s.article.id != cited.id
    ]
    later.sort(key=lambda s: (s.article.published, s.article.id), reverse=True)
    outlets = [x for x in (cited.attribution,) if x]
    for story in later:
        change = _change_in(citation, cited, cited_sentences, in_quote, story, outlets)
        if change is not None:
            return change
    return None


def _change_in(
    citation: Citation,
    cited: ArticleRow,
    cited_sentences: Sequence[SentenceRow],
    in_quote: dict[tuple[str, ...], figures.Mention],
    story: Story,
    outlets: list[str],
) -> FigureChange | None:
    other = story.article
    theirs: list[tuple[figures.Mention, SentenceRow]] = []
    loosely: list[figures.Mention] = []
    for s in story.sentences:
        text = other.body[s.start : s.end]
        theirs += [(m, s) for m in figures.mentions(text)]
        loosely += figures.mentions(text, loose=True)
    clear = figures.unambiguous([m for m, _ in theirs], loosely)
    ignore = outlets + [x for x in (other.attribution,) if x]
    cited_words = figures.words_of(f"{cited.headline}\n{cited.body}")
    other_words = figures.words_of(f"{other.headline}\n{other.body}")
    best: tuple[float, FigureChange] | None = None
    for thing, ours in in_quote.items():
        mine = clear.get(thing)
        if mine is None or figures.same_value(ours.value, mine.value):
            continue
        sentence = next(s for m, s in theirs if m is mine)
        at = citation.start + ours.start
        own = next((s for s in cited_sentences if s.start <= at < s.end), None)
        if own is None:
            continue
        similarity = float(own.vector @ sentence.vector)
        own_text = cited.body[own.start : own.end]
        their_text = other.body[sentence.start : sentence.end]
        if similarity < FIGURE_SENTENCE_MIN:
            continue
        # Each sentence may name only who and what the other article also names.
        if figures.strangers(figures.names(own_text, ignore), other_words) or figures.strangers(
            figures.names(their_text, ignore), cited_words
        ):
            continue
        change = FigureChange(
            thing=ours.label,
            cited=_figure(cited, ours, own, offset=citation.start),
            marker=citation.marker,
            other=_figure(other, mine, sentence, offset=sentence.start),
        )
        if best is None or similarity > best[0]:
            best = (similarity, change)
    return best[1] if best else None


def _figure(article: ArticleRow, m: figures.Mention, sentence: SentenceRow, offset: int) -> Figure:
    return Figure(
        text=m.text, value=m.value, **article.source_fields(),
        quote=article.body[sentence.start : sentence.end], start=offset + m.start,
        end=offset + m.end,
    )  # fmt: skip


class CoverageFinder:
    """Reads the index (and embeds headlines) to add newer coverage and figure changes to an
    answer's citations."""

    def __init__(self, store: IndexReader, encoder: Encoder) -> None:
        self.store = store
        self.encoder = encoder

    def add_to(self, answer: Answer, cutoff: datetime | None) -> Answer:
        """`answer` with `newer_coverage` on its citations and `figures_differ` set, from
        what was published up to `cutoff` (the end of the question's as-of day)."""
        if answer.declined or not answer.citations:
            return answer
        cited_ids = {c.article_id for c in answer.citations}
        citations = []
        change: FigureChange | None = None
        for c in answer.citations:
            cited, sentences, stories = self.stories(c.article_id, cutoff)
            if cited is None:
                citations.append(c)
                continue
            citations.append(
                replace(c, newer_coverage=newer_coverage(cited, stories, sentences, cited_ids))
            )
            if change is None:
                change = figure_change(c, cited, sentences, stories)
        answer.citations = citations
        answer.figures_differ = change
        answer.related = self.related(answer)
        return answer

    def related(self, answer: Answer) -> tuple[int, ...]:
        """The retrieved articles, not cited, whose text is near a cited article's, in
        retrieval's order."""
        cited_ids = [c.article_id for c in answer.citations]
        others = [r.article_id for r in answer.retrieved if r.article_id not in cited_ids]
        if not others:
            return ()
        sentences = self._sentences([*dict.fromkeys(cited_ids), *others])
        cited = [centroid([s.vector for s in sentences.get(i, [])]) for i in cited_ids]
        mine = [c for c in cited if c is not None]
        if not mine:
            return ()
        near = np.stack(mine)
        out = []
        for i in others:
            center = centroid([s.vector for s in sentences.get(i, [])])
            if center is not None and float((near @ center).max()) >= RELATED_MIN:
                out.append(i)
        return tuple(out)

    def stories(
        self, article_id: int, cutoff: datetime | None
    ) -> tuple[ArticleRow | None, list[SentenceRow], list[Story]]:
        """The cited article, its sentences, and the articles on its story published from
        its day up to `cutoff`: its whole story group, and the close matches within
        STORY_DAYS. The cheap tests (dates, names) run before the costly ones (the text's
        vectors, then embedding headlines), so an answer waits for few of them."""
        cited = self.store.articles([article_id]).get(article_id)
        if cited is None or cited.published is None:
            return cited, [], []
        sentences = self._sentences([article_id]).get(article_id, [])
        day = cited.published.replace(hour=0, minute=0, second=0, microsecond=0)
        near_end = cited.published + timedelta(days=STORY_DAYS)
        near_end = near_end if cutoff is None else min(near_end, cutoff)
        group = set(self.store.story_articles(article_id))
        close = self._close_candidates(sentences, day, near_end, exclude={article_id})
        rows = self.store.articles([i for i in dict.fromkeys([*group, *close]) if i != article_id])
        names = key_names(cited, sentences)
        kept: dict[int, tuple[ArticleRow, float]] = {}
        for i, a in rows.items():
            if a.published is None or a.published < day:
                continue
            if i in group and (cutoff is None or a.published < cutoff):
                kept[i] = (a, 1.0)
            elif i not in group and a.published < near_end:
                share = names_share(names, a)
                if share >= NAMES_MIN:
                    kept[i] = (a, share)
        if not kept:
            return cited, sentences, []
        their_sentences = self._sentences(list(kept))
        mine = centroid([s.vector for s in sentences])
        candidates = []
        for i, (a, share) in kept.items():
            theirs = their_sentences.get(i, [])
            center = centroid([s.vector for s in theirs])
            content = float(center @ mine) if center is not None and mine is not None else 0.0
            if i in group or content >= CONTENT_MIN:
                candidates.append(Story(a, i in group, tuple(theirs), 1.0, content, share))
        return cited, sentences, self._headlines_checked(cited, candidates)

    def _headlines_checked(self, cited: ArticleRow, candidates: list[Story]) -> list[Story]:
        """The story-group copies, and the close matches whose headline is near the cited
        one's too (embedded here: only for the few that got this far)."""
        close = [s for s in candidates if not s.same_story]
        if not close:
            return candidates
        heads = self.encoder.encode([cited.headline, *(s.article.headline for s in close)])
        similarity = dict(zip((s.article.id for s in close), (heads[1:] @ heads[0]).tolist(),
                              strict=True))  # fmt: skip
        out = []
        for s in candidates:
            if s.same_story:
                out.append(s)
                continue
            story = replace(s, headline_similarity=float(similarity[s.article.id]))
            assert cited.published is not None and s.article.published is not None
            days = (s.article.published - cited.published).total_seconds() / 86400
            if is_close_match(story.headline_similarity, s.content_similarity, s.names_share, days):
                out.append(story)
        return out

    def _close_candidates(
        self,
        sentences: Sequence[SentenceRow],
        start: datetime,
        cutoff: datetime | None,
        exclude: set[int],
    ) -> list[int]:
        """Articles from `start` up to `cutoff` whose passages are nearest the cited article."""
        vector = centroid([s.vector for s in sentences])
        if vector is None:
            return []
        allowed = self.store.chunk_ids_matching((), start, cutoff)
        if len(allowed) == 0:
            return []
        _, chunk_ids = self.store.dense_search(vector, SEARCH_CHUNKS, allowed)
        chunks = self.store.chunks(chunk_ids.tolist())
        found: list[int] = []
        for chunk_id in chunk_ids.tolist():
            chunk = chunks.get(chunk_id)
            if chunk is None or chunk.article_id in exclude or chunk.article_id in found:
                continue
            found.append(chunk.article_id)
            if len(found) >= MAX_MATCHES:
                break
        return found

    def _sentences(self, article_ids: list[int]) -> dict[int, list[SentenceRow]]:
        by_article: dict[int, list[SentenceRow]] = {}
        for s in self.store.sentences(self.store.chunk_ids_of(article_ids)):
            by_article.setdefault(s.article_id, []).append(s)
        for rows in by_article.values():
            rows.sort(key=lambda s: s.start)
        return by_article
