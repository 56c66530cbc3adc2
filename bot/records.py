"""Records several layers share: what `ask()` returns (an Answer with its citations and
the articles it looked at) and the conversation turns it is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

DECLINE_TEXT = "I couldn't find that in the indexed articles."


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation (REPL session, Slack thread)."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Citation:
    """One quoted sentence (or run of adjacent sentences) and where it stands."""

    marker: int  # the [n] in the answer text
    article_id: int
    headline: str
    attribution: str | None  # outlet, or the credits line
    published: datetime | None
    url: str | None
    source_path: str
    quote: str
    start: int  # character offsets of the quote in the article body
    end: int
    also_ran_in: tuple[str, ...] = ()  # other outlets that ran the same story


@dataclass(frozen=True)
class ShortAnswer:
    """The key fact inside a quote (a name, a number with its unit, a date), verbatim."""

    text: str
    marker: int  # the citation whose quote holds it
    start: int  # character offsets in that article's body
    end: int


@dataclass(frozen=True)
class RetrievedArticle:
    rank: int
    article_id: int
    headline: str
    attribution: str | None
    published: datetime | None
    url: str | None
    source_path: str
    score: float


@dataclass(frozen=True)
class Verification:
    """What checking a chat model's answer against its sources did (see bot/verify.py)."""

    # passed | edited (sentences or citations removed, or sources renumbered) | replaced
    # (by the quoted answer) | declined (by the model)
    outcome: str
    model_answer: str  # the model's text as it arrived, before verification
    removed: tuple[str, ...] = ()  # what was removed, each with the reason

    @property
    def changed(self) -> bool:
        return self.outcome in {"edited", "replaced"}


@dataclass
class Answer:
    question: str
    text: str  # what the user reads, with [n] markers; DECLINE_TEXT when declined
    declined: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[RetrievedArticle] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    notes: list[str] = field(default_factory=list)  # e.g. the period a time filter searched
    search_query: str = ""  # what retrieval searched for (differs for follow-ups)
    answered_by: str = "extractive"
    model: str | None = None  # the chat model consulted, if one is configured
    verification: Verification | None = None  # set when a model's answer was checked
    short_answer: ShortAnswer | None = None  # the key fact, when it is a span of a quote
