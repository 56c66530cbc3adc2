"""How well an article's publication date fits the time a question is about.

Every question has an as-of day (today, `--as-of`, or an eval file's `question_date`);
articles published after it don't exist yet for that question and are filtered out by
retrieval. Among the rest, the prior here ranks by closeness in time:

- a question naming a period in words ("this week", "on Friday", "in March 2024") fits
  articles published in that period best — or within `GRACE_DAYS` after it, when the
  report of Friday's event runs on Saturday — and less the further outside they are;
- a question about the latest or current state ("now", "latest", "still", "currently",
  "what is the rate?") fits newer articles better, decaying with age before the as-of day;
- any other question gets a mild preference for newer articles, enough to choose between
  look-alike stories and no more.

The prior is a factor in (0, 1]; answer scoring adds `log(prior)` times a weight, so it
decides between close candidates but can't make a poor match good. An undated article
can't be placed in time: it gets `UNDATED` and is never ruled out by a date.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

# A period named in words: reports may run this many days after it ends.
GRACE_DAYS = 2
# Outside the named period the fit halves every few days, down to the floor: a look-alike
# story from another month scores far below one from the period. Before the period it
# falls fast (an article can't report what hadn't happened yet); after it, slower (a
# follow-up may still tell what happened then).
BEFORE_HALF_LIFE = 2.0
AFTER_HALF_LIFE = 21.0
PERIOD_FLOOR = 0.02
# "Latest"/"now": the fit halves every RECENT_HALF_LIFE days of age, down to RECENT_FLOOR.
RECENT_HALF_LIFE = 21.0
RECENT_FLOOR = 0.1
# Any other question: a mild preference, halving the gap to the floor every year.
PLAIN_HALF_LIFE = 365.0
PLAIN_FLOOR = 0.7
UNDATED = 0.5  # an article with no date, when the question is about a time

# Questions about the current state: "who is", "what is the rate", "where are".
_CURRENT_STATE = re.compile(
    r"^\s*(?:who|what|where|which(?:\s+\w+){0,3}|how (?:many|much|high|low))\s+"
    r"(?:is|are|'s)\b",
    re.I,
)
_RECENCY = re.compile(
    r"\b(?:latest|newest|most recent|recent|recently|lately|now|right now|currently|current|"
    r"still|so far|to date|anymore|any more|these days|at present|presently|as of today)\b",
    re.I,
)


class Focus(StrEnum):
    PERIOD = "period"  # the question names a period in words
    RECENT = "recent"  # the latest or current state
    PLAIN = "plain"


@dataclass(frozen=True)
class TimeFit:
    """What the prior needs to know about a question's time."""

    focus: Focus
    as_of: date
    start: datetime | None = None  # the named period (PERIOD only), [start, end)
    end: datetime | None = None

    def prior(self, published: datetime | None) -> float:
        """How well an article published then fits the question, in (0, 1]."""
        if published is None:
            return UNDATED if self.focus is not Focus.PLAIN else PLAIN_FLOOR
        if self.focus is Focus.PERIOD:
            before, after = self._days_outside(published)
            if before:
                return _decay(before, BEFORE_HALF_LIFE, PERIOD_FLOOR)
            return _decay(after, AFTER_HALF_LIFE, PERIOD_FLOOR)
        age = max(0.0, (self.as_of - published.date()).days)
        if self.focus is Focus.RECENT:
            return _decay(age, RECENT_HALF_LIFE, RECENT_FLOOR)
        return _decay(age, PLAIN_HALF_LIFE, PLAIN_FLOOR)

    def in_period(self, published: datetime | None) -> bool:
        """Published in the named period or its grace days (always true without one)."""
        if self.focus is not Focus.PERIOD:
            return True
        return published is not None and self._days_outside(published) == (0.0, 0.0)

    def _days_outside(self, published: datetime) -> tuple[float, float]:
        """(days before the period, days after it and its grace days)."""
        if self.start is not None and published < self.start:
            return (self.start - published) / timedelta(days=1), 0.0
        if self.end is not None:
            late = published - (self.end + timedelta(days=GRACE_DAYS))
            if late > timedelta(0):
                return 0.0, late / timedelta(days=1)
        return 0.0, 0.0


def _decay(days: float, half_life: float, floor: float) -> float:
    return floor + (1.0 - floor) * math.pow(0.5, days / half_life)


def asks_for_recent(question: str) -> bool:
    """ "What is the rate now?", "the latest", "still", "who is the mayor?": questions about
    the newest state of things."""
    return bool(_RECENCY.search(question) or _CURRENT_STATE.search(question))


def age_phrase(days: int) -> str:
    """ "the same day", "3 days", "2 weeks", "5 months", "2 years": how old, for a note."""
    if days <= 0:
        return "the same day"
    for unit, size in (("year", 365), ("month", 30), ("week", 7), ("day", 1)):
        if days >= size * (2 if unit != "day" else 1):
            n = days // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{days} days"


def freshness_note(published: list[datetime | None], as_of: date, today: date) -> str | None:
    """How recent the newest of the sources is, for a question about a time; None when no
    source is dated (their citations say so)."""
    dated = [p for p in published if p is not None]
    if not dated:
        return None
    newest = max(dated).date()
    age = age_phrase((as_of - newest).days)
    if age == "the same day":
        when = "the same day" if as_of != today else "today"
    else:
        when = f"{age} ago" if as_of == today else f"{age} before {as_of.isoformat()}"
    return f"Newest source published {newest.isoformat()} ({when})."


def nothing_in_period_note(label: str, closest: datetime | None, headline: str) -> str:
    """Why a question about a period was declined, and what came closest."""
    when = closest.date().isoformat() if closest else "undated"
    return (
        f"No article published {label} answers this; the closest match is from {when}: {headline}"
    )
