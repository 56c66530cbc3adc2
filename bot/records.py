"""Records several layers share: what `ask()` returns (an Answer with its citations and
the articles it looked at) and the conversation turns it is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

DECLINE_TEXT = "I couldn't find that in the indexed articles."


class SourceFields(TypedDict):
    """How every citation, figure and listed article names its article."""

    article_id: int
    headline: str
    attribution: str | None
    published: datetime | None
    url: str | None
    source_path: str


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation (REPL session, Slack thread)."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Coverage:
    """An article named next to a citation: later coverage of its story (bot/coverage.py)."""

    article_id: int
    headline: str
    attribution: str | None
    published: datetime | None
    url: str | None
    source_path: str
    same_story: bool  # a copy in the cited article's story group (else a close match)


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
    # later articles on the same story, up to the as-of day, newest first (at most two)
    newer_coverage: tuple[Coverage, ...] = ()


@dataclass(frozen=True)
class ShortAnswer:
    """The key fact inside a quote (a name, a number with its unit, a date), verbatim."""

    text: str
    marker: int  # the citation whose quote holds it
    start: int  # character offsets in that article's body
    end: int


@dataclass(frozen=True)
class Figure:
    """A figure as an article states it ("over 100 killed"), verbatim, with its source."""

    text: str  # the verbatim words, qualifier to noun: "over 100 killed"
    value: float
    article_id: int
    headline: str
    attribution: str | None
    published: datetime | None
    url: str | None
    source_path: str
    quote: str  # the sentence that states it
    start: int  # character offsets of `text` in the article body
    end: int


@dataclass(frozen=True)
class FigureChange:
    """The answer's figure and a different one for the same thing in a newer or parallel
    article on the same story (bot/figures.py, bot/coverage.py)."""

    thing: str  # what is counted, as both texts name it: "killed", "people evacuated"
    cited: Figure  # from the quote of citation `marker`
    marker: int
    other: Figure


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
    figures_differ: FigureChange | None = None  # a newer/parallel figure for the same thing
    # Retrieved articles, not cited, on the cited stories' topic (bot/coverage.py), best
    # first; None when not looked for (then every retrieved article not cited counts).
    related: tuple[int, ...] | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """One dated article (or wire story, once) of a timeline: the sentence that best states
    what it adds to the story so far, verbatim, and where it stands."""

    citation: Citation  # marker, article, quote and offsets; `also_ran_in` names the copies
    score: float  # how much it adds: relevance to the topic and novelty (bot/timeline.py)


@dataclass
class Timeline:
    """What `Newsbot.timeline()` returns: the story so far about a topic, oldest first."""

    topic: str
    entries: list[TimelineEntry] = field(default_factory=list)
    found: int = 0  # dated articles (stories) about the topic, before --limit
    undated: int = 0  # articles about the topic left out for having no date
    notes: list[str] = field(default_factory=list)
    search_query: str = ""
    timings: dict[str, float] = field(default_factory=dict)
