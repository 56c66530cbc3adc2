"""`Newsbot.ask`: the one function that answers. Fronts (CLI, REPL, Slack) only translate."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING

from bot.answer import ExtractiveAnswerer
from bot.config import Settings
from bot.coverage import CoverageFinder
from bot.embeddings import Encoder, get_encoder
from bot.errors import QuestionError
from bot.index import IndexReader, open_index
from bot.query import Query, parse_query
from bot.question_check import check_question
from bot.records import Answer, RetrievedArticle, Timeline, Turn
from bot.retrieval import Retrieval, Retriever
from bot.safe_text import valid_unicode
from bot.terms import content_terms, is_follow_up
from bot.time_prior import Focus, freshness_note, nothing_in_period_note
from bot.timeline import DEFAULT_LIMIT, TOPIC_NEEDED, TimelineBuilder

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from bot.generate import GenerativeAnswerer

log = logging.getLogger(__name__)


def standalone_query(
    question: str, history: Sequence[Turn], as_of: date | None = None, tz: tzinfo = UTC
) -> Query:
    """What to search for. A follow-up ("Who denounced them?") borrows the last question's
    words, and its outlet and time filters unless it has its own."""
    current = parse_query(question, as_of, tz)
    if not (history and is_follow_up(question)) or _says_enough(current.text):
        return current
    previous = parse_query(history[-1].question, as_of, tz)
    return replace(  # the follow-up's own as-of day and time zone stay
        current,
        text=f"{previous.text} {current.text}",
        outlets=current.outlets or previous.outlets,
        period=current.period or previous.period,
        recency=current.recency or previous.recency,
    )


# A question with this many words of its own stands alone even with a "that" or "it" in it
# ("Where was the zebra that escaped from the circus found?"); a shorter one ("Who
# condemned them?") borrows the last question's words.
STANDALONE_TERMS = 3


def _says_enough(text: str) -> bool:
    return len(content_terms(text)) >= STANDALONE_TERMS


class Newsbot:
    """Holds the loaded model and index for a process; `ask` is safe to call from threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        encoder: Encoder | None = None,
        store: IndexReader | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._encoder = encoder
        self._store = store
        self._chat_model = chat_model
        self._generative: GenerativeAnswerer | None = None
        self._lock = threading.Lock()

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = get_encoder(self.settings.encoder, self.settings.device)
        return self._encoder

    @property
    def store(self) -> IndexReader:
        """The index the settings name (a read replica, if one is set, for answering)."""
        with self._lock:
            if self._store is None:
                self._store = open_index(
                    self.settings, fingerprint=self.encoder.fingerprint, reads_only=True
                )
            return self._store

    @property
    def generative(self) -> GenerativeAnswerer | None:
        """The chat model's answerer when one is configured (NEWSBOT_LLM) or injected."""
        if self._chat_model is None and not self.settings.llm:
            return None
        with self._lock:
            if self._generative is None:
                self._generative = self._build_generative()
            return self._generative

    def _build_generative(self) -> GenerativeAnswerer:
        from bot.generate import GenerativeAnswerer
        from bot.llm import ChatLLM, build_chat_model

        s = self.settings
        model, name = self._chat_model, None
        if model is None:
            assert s.llm is not None
            model = build_chat_model(
                s.llm, base_url=s.llm_base_url, api_key=s.llm_api_key, timeout=s.llm_timeout
            )
            name = s.llm
        llm = ChatLLM(model, name=name, timeout=s.llm_timeout, retries=s.llm_retries)
        return GenerativeAnswerer(llm, similarity=self._similarity)

    def _similarity(self, text: str, others: Sequence[str]) -> list[float]:
        vectors = self.encoder.encode([text, *others])  # unit length: dot = cosine
        return [float(x) for x in vectors[1:] @ vectors[0]]

    def warm_up(self) -> None:
        """Load the model and index now, so the first question isn't the slow one."""
        self.store.warm_up()
        self.encoder.encode(["warm up"])
        _ = self.generative  # a misconfigured chat model is reported now, not mid-chat

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        long: bool = False,
        as_of: date | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer from the index. With a chat model: its verified answer, else the quoted one.

        `as_of` resolves "yesterday", "last week"... (default: today). `on_token` receives
        the model's text as it arrives (before verification).
        """
        timings: dict[str, float] = {}
        started = time.perf_counter()
        # Bytes that aren't UTF-8 (argv, a Slack payload) are read first, then checked.
        question = check_question(valid_unicode(question), self.settings.max_question_chars)
        tz = self.settings.tz
        generative = self.generative
        # The model's time limit starts at its first call (rewrite or answer) and covers both;
        # local work (loading the encoder, searching) is not the model's time.
        deadline: float | None = None
        search = standalone_query(question, history, as_of, tz)
        asked = parse_query(question, as_of, tz).text  # what the answerers answer
        unavailable: str | None = None
        if generative is not None and history:
            from bot.errors import ModelError

            mark = time.perf_counter()
            deadline = generative.llm.deadline()
            try:
                rewritten = generative.rewrite(question, history, deadline=deadline)
            except ModelError as exc:
                unavailable = exc.reason
            else:
                if rewritten:  # a rewritten follow-up stands alone; filters carry over
                    asked = parse_query(rewritten, as_of, tz).text
                    search = replace(search, text=asked)
            timings["rewrite_ms"] = _ms(mark)
        local = mark = time.perf_counter()
        retrieval = Retriever(self.store, self.encoder).search(
            search, k_articles=self.settings.top_k
        )
        timings["retrieve_ms"] = _ms(mark)
        words = self.settings.long_answer_words if long else self.settings.answer_words
        mark = time.perf_counter()
        draft = ExtractiveAnswerer().answer(asked, retrieval, max_words=words)
        timings["answer_ms"] = _ms(mark)
        answer = Answer(
            question=question,
            text=draft.text,
            declined=draft.declined,
            citations=draft.citations,
            retrieved=_retrieved(retrieval),
            timings=timings,
            notes=retrieval.notes,
            search_query=search.text,
            short_answer=draft.short_answer,
        )
        if generative is not None:
            mark = time.perf_counter()
            if deadline is None:
                deadline = generative.llm.deadline()
            else:  # searching between the rewrite and the answer doesn't count
                deadline += mark - local
            if unavailable is not None:
                answer = generative.unavailable(answer, unavailable)
            else:
                answer = generative.answer(
                    answer,
                    asked,
                    retrieval.passages,
                    max_words=words,
                    deadline=deadline,
                    on_token=on_token,
                    today=as_of,
                )
            timings["generate_ms"] = _ms(mark)
        today = datetime.now(tz).date()
        answer.notes = [*answer.notes, *_time_notes(answer, retrieval, today)]
        # Near-duplicate copies were left out by retrieval; say where else the story ran.
        answer.citations = [
            replace(c, also_ran_in=self.store.also_ran_in(c.article_id)) for c in answer.citations
        ]
        mark = time.perf_counter()
        # Newer coverage and changed figures: only what exists on the as-of day counts.
        cutoff = parse_query(question, as_of, tz).cutoff
        answer = CoverageFinder(self.store, self.encoder).add_to(answer, cutoff)
        answer.timings["coverage_ms"] = _ms(mark)
        answer.timings["total_ms"] = _ms(started)
        return answer

    def timeline(
        self, topic: str, *, as_of: date | None = None, limit: int = DEFAULT_LIMIT
    ) -> Timeline:
        """The story so far about `topic`, oldest first (bot/timeline.py); `limit` 0: all."""
        started = time.perf_counter()
        if not re.search(r"\w", topic):
            raise QuestionError(TOPIC_NEEDED)
        topic = check_question(topic, self.settings.max_question_chars)
        builder = TimelineBuilder(self.store, self.encoder)
        timeline = builder.build(topic, as_of=as_of, tz=self.settings.tz, limit=limit)
        timeline.timings["total_ms"] = _ms(started)
        return timeline


def _time_notes(answer: Answer, retrieval: Retrieval, today: date) -> list[str]:
    """For a question about a time: how recent the newest source is; or, declined, that
    nothing from the period answers and what came closest."""
    fit = retrieval.fit
    if fit is None or fit.focus is Focus.PLAIN:
        return []
    if not answer.declined:
        note = freshness_note([c.published for c in answer.citations], fit.as_of, today)
        return [note] if note else []
    best = retrieval.candidates[0] if retrieval.candidates else None
    if fit.focus is Focus.PERIOD and best is not None and retrieval.query.period is not None:
        article = best.passage.article
        if not fit.in_period(article.published):
            label = retrieval.query.period.label
            return [nothing_in_period_note(label, article.published, article.headline)]
    return []


def _retrieved(retrieval: Retrieval) -> list[RetrievedArticle]:
    return [
        RetrievedArticle(rank=i + 1, **a.source_fields(), score=round(score, 4))
        for i, (a, score) in enumerate(retrieval.articles)
    ]


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
