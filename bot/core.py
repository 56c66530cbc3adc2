"""`Newsbot.ask`: the one function that answers. Fronts (CLI, REPL, Slack) only translate."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo

from bot.answer import ExtractiveAnswerer
from bot.config import Settings
from bot.embeddings import Encoder, get_encoder
from bot.query import Query, parse_query
from bot.records import Answer, RetrievedArticle
from bot.retrieval import Retrieval, Retriever
from bot.store import Store
from bot.terms import is_follow_up

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation (REPL session, Slack thread)."""

    question: str
    answer: str = ""


def standalone_query(
    question: str, history: Sequence[Turn], as_of: date | None = None, tz: tzinfo = UTC
) -> Query:
    """What to search for. A follow-up ("Who denounced them?") borrows the last question's
    words, and its outlet and time filters unless it has its own."""
    current = parse_query(question, as_of, tz)
    if not (history and is_follow_up(question)):
        return current
    previous = parse_query(history[-1].question, as_of, tz)
    return Query(
        text=f"{previous.text} {current.text}",
        outlets=current.outlets or previous.outlets,
        period=current.period or previous.period,
        recency=current.recency or previous.recency,
    )


class Newsbot:
    """Holds the loaded model and index for a process; `ask` is safe to call from threads."""

    def __init__(
        self, settings: Settings, *, encoder: Encoder | None = None, store: Store | None = None
    ) -> None:
        self.settings = settings
        self._encoder = encoder
        self._store = store
        self._lock = threading.Lock()

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = get_encoder(self.settings.encoder)
        return self._encoder

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store.open(self.settings.index, fingerprint=self.encoder.fingerprint)
            return self._store

    def warm_up(self) -> None:
        """Load the model and index now, so the first question isn't the slow one."""
        self.store.search_index()
        self.store.lexical()
        self.encoder.encode(["warm up"])

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        long: bool = False,
        as_of: date | None = None,
    ) -> Answer:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        question = question.strip()
        tz = self.settings.tz
        search = standalone_query(question, history, as_of, tz)
        current = parse_query(question, as_of, tz).text  # sentences are scored against this
        retriever = Retriever(self.store, self.encoder)
        retrieval = retriever.search(search, k_articles=self.settings.top_k)
        timings["retrieve_ms"] = _ms(started)
        words = self.settings.long_answer_words if long else self.settings.answer_words
        mark = time.perf_counter()
        draft = ExtractiveAnswerer(self.store).answer(current, retrieval, max_words=words)
        timings["answer_ms"] = _ms(mark)
        timings["total_ms"] = _ms(started)
        return Answer(
            question=question,
            text=draft.text,
            declined=draft.declined,
            citations=draft.citations,
            retrieved=_retrieved(retrieval),
            timings=timings,
            notes=retrieval.notes,
            search_query=search.text,
        )


def _retrieved(retrieval: Retrieval) -> list[RetrievedArticle]:
    return [
        RetrievedArticle(
            rank=i + 1,
            article_id=a.id,
            headline=a.headline,
            attribution=a.attribution,
            published=a.published,
            url=a.url,
            source_path=a.source_path,
            score=round(score, 4),
        )
        for i, (a, score) in enumerate(retrieval.articles)
    ]


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
