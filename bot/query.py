"""Question -> search text plus filters: outlet (`from:reuters`), dates (`after:`/`before:`),
time phrases resolved against an as-of date ("last week", "in February 2018"), and whether
the question asks about the current state ("latest", "now", "still")."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.date_range import YEARS, check_day, check_days_back
from bot.errors import QuestionError
from bot.time_prior import Focus, TimeFit, asks_for_recent

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_SPAN_LEAD = "in|the past|the last|over the last|over the past|past|last"

_BARE_YEAR = re.compile(r"\b((?:19|20)\d{2})\b(?![.,]\d)")
FILTER_KEYS = ("from", "outlet", "after", "since", "before", "until", "on")
_FILTER = re.compile(rf'\b({"|".join(FILTER_KEYS)}):(?:"([^"]+)"|(\S+))', re.I)


@dataclass(frozen=True)
class Period:
    """Published in [start, end); either side may be open."""

    start: datetime | None
    end: datetime | None
    label: str
    explicit: bool = False  # typed as after:/before:/on: rather than said in words

    def describe(self) -> str:
        """What the user reads: a typed period filtered, a period said in words ranked."""
        first = self.start.date().isoformat() if self.start else "the beginning"
        last = (self.end - timedelta(days=1)).date().isoformat() if self.end else "now"
        span = first if first == last else f"{first} to {last}"
        verb = "Searched" if self.explicit else "Preferred"
        return f"{verb} articles published {self.label} ({span})."


@dataclass(frozen=True)
class Query:
    text: str  # what to search for, filter syntax and time phrases removed
    outlets: tuple[str, ...] = ()
    # Typed (after:/before:/on:) periods filter; periods said in words rank (see time_fit).
    period: Period | None = None
    recency: bool = False  # asks for the latest or current state
    as_of: date | None = None  # the day the question is asked
    cutoff: datetime | None = None  # end of the as-of day: later articles don't exist yet

    @property
    def filtered(self) -> bool:
        return bool(self.outlets or (self.period and self.period.explicit))

    @property
    def time_fit(self) -> TimeFit:
        """How publication dates rank for this question (bot/time_prior.py)."""
        today = self.as_of or date.today()
        if self.period is not None and not self.period.explicit:
            return TimeFit(Focus.PERIOD, today, self.period.start, self.period.end)
        return TimeFit(Focus.RECENT if self.recency else Focus.PLAIN, today)


def _day(d: date) -> datetime:
    """Midnight starting day `d`, naive; `parse_query` attaches the newsroom's time zone."""
    return datetime.combine(d, time.min)


def _month(year: int, month: int) -> tuple[datetime, datetime]:
    start = _day(date(year, month, 1))
    end = _day(date(year + month // 12, month % 12 + 1, 1))
    return start, end


def _months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, or that month's last day if shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _parse_day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):  # well written, but no such day
            raise QuestionError(f"{value!r} is not a real date") from None
        raise QuestionError(f"can't read the date {value!r}; write it as YYYY-MM-DD") from None
    return check_day(day)


# Time phrases, most specific first. Each returns (start, end, label) given the as-of day.
def _phrases(today: date) -> list[tuple[re.Pattern[str], object]]:
    monday = today - timedelta(days=today.weekday())
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)

    def month_year(m: re.Match[str]) -> tuple[datetime, datetime, str]:
        month, year = MONTHS[m.group(1).lower()], int(m.group(2))
        return (*_month(year, month), f"in {calendar.month_name[month]} {year}")

    def month_only(m: re.Match[str]) -> tuple[datetime, datetime, str]:
        month = MONTHS[m.group(1).lower()]
        year = today.year if month <= today.month else today.year - 1  # the last one
        return (*_month(year, month), f"in {calendar.month_name[month]} {year}")

    def year_only(m: re.Match[str]) -> tuple[datetime, datetime, str]:
        year = int(m.group(1))
        return _day(date(year, 1, 1)), _day(date(year + 1, 1, 1)), f"in {year}"

    def weekday(m: re.Match[str]) -> tuple[datetime, datetime, str]:
        wd = WEEKDAYS[m.group(1).lower()]
        back = (today.weekday() - wd) % 7 or 7  # the most recent such day before today
        d = today - timedelta(days=back)
        return _day(d), _day(d + timedelta(days=1)), f"on {m.group(1).capitalize()} {d.isoformat()}"

    def last_n(m: re.Match[str]) -> tuple[datetime, datetime, str]:
        # The last N units end today and start the day after the same day N units back;
        # months and years are calendar ones, so leap days and 31-day months count.
        n, unit = int(m.group(1)), m.group(2).lower().rstrip("s")
        days = n * {"day": 1, "week": 7, "month": 30, "year": 365}[unit]
        check_days_back(today, days, f"“{m.group(0)}”")
        if unit in ("month", "year"):
            back = _months_before(today, n * (12 if unit == "year" else 1))
        else:
            back = today - timedelta(days=days)
        label = f"in the last {n} {unit}{'s' if n != 1 else ''}"
        return _day(back + timedelta(days=1)), _day(today + timedelta(days=1)), label

    fixed = {
        "today": (today, today + timedelta(days=1)),
        "yesterday": (today - timedelta(days=1), today),
        "this week": (monday, today + timedelta(days=1)),
        "last week": (monday - timedelta(days=7), monday),
        "this month": (today.replace(day=1), today + timedelta(days=1)),
        "last month": (
            (today.replace(day=1) - timedelta(days=1)).replace(day=1),
            today.replace(day=1),
        ),
        "this year": (date(today.year, 1, 1), today + timedelta(days=1)),
        # the most recent Saturday and Sunday (today included)
        "the weekend": (saturday, saturday + timedelta(days=2)),
        "this weekend": (saturday, saturday + timedelta(days=2)),
        "last year": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
    }

    def fixed_phrase(m: re.Match[str]) -> tuple[datetime, datetime, str]:
        phrase = " ".join(m.group(1).lower().split())
        start, end = fixed[phrase]
        return _day(start), _day(end), phrase

    return [
        # Years newsbot dates articles in (bot/date_range.py): "in September 1666" is history.
        (re.compile(rf"\b(?:in |during |from )?({_MONTH})\.? ({YEARS})\b", re.I), month_year),
        (re.compile(r"\b(?:in|during) ((?:19|20)\d{2})\b", re.I), year_only),
        (re.compile(rf"\b(?:{_SPAN_LEAD}) (\d+) (days?|weeks?|months?|years?)\b", re.I), last_n),
        (re.compile(rf"\b(?:at |over |during )?({'|'.join(fixed)})\b", re.I), fixed_phrase),
        (re.compile(rf"\b(?:on |last )({'|'.join(WEEKDAYS)})\b", re.I), weekday),
        # "Friday's record jump", "Monday's vote": the most recent such day too
        (re.compile(rf"\b({'|'.join(WEEKDAYS)})(?:'s|’s)", re.I), weekday),
        (re.compile(rf"\b(?:in|during) ({_MONTH})\b(?!\.? \d{{4}})", re.I), month_only),
    ]


def parse_query(question: str, as_of: date | datetime | None = None, tz: tzinfo = UTC) -> Query:
    """Pull filters and time phrases out of a question. Days run midnight to midnight in
    `tz` (the newsroom's time zone), and "today" is `as_of` (default: now); an instant as
    `as_of` falls on its day in `tz`."""
    if isinstance(as_of, datetime):
        today = (as_of.astimezone(tz) if as_of.tzinfo else as_of).date()
    else:
        today = as_of or datetime.now(tz).date()
    check_day(today, f"the as-of date {today.isoformat()}")
    outlets: list[str] = []
    start: datetime | None = None
    end: datetime | None = None
    labels: list[str] = []
    for m in _FILTER.finditer(question):
        key, value = m.group(1).lower(), (m.group(2) or m.group(3).rstrip("?.!,;:"))
        if key in ("from", "outlet"):
            outlets.append(value.replace("_", " "))
        elif key in ("after", "since"):
            start = _day(_parse_day(value))
            labels.append(f"from {value}")
        elif key in ("before", "until"):
            end = _day(_parse_day(value))
            labels.append(f"before {value}")
        elif key == "on":
            d = _parse_day(value)
            start, end = _day(d), _day(d + timedelta(days=1))
            labels.append(f"on {value}")
    text = _FILTER.sub(" ", question)
    explicit = start is not None or end is not None
    if not explicit:
        for pattern, resolve in _phrases(today):
            found = pattern.search(text)
            if found:
                start, end, label = resolve(found)  # type: ignore[operator]
                labels.append(label)
                text = text[: found.start()] + " " + text[found.end() :]
                break
        if start is None and (year := _BARE_YEAR.search(text)):
            # "the 2019 Nobel Peace Prize": the year ranks articles, and stays in the text
            # as part of the name.
            y = int(year.group(1))
            start, end = _day(date(y, 1, 1)), _day(date(y + 1, 1, 1))
            labels.append(f"in {y}")
    period = None
    if start or end:
        start, end = (x.replace(tzinfo=tz) if x else None for x in (start, end))
        period = Period(start, end, " ".join(labels), explicit)
    text = re.sub(r"\s+([?.!,;:])", r"\1", " ".join(text.split())).strip()
    return Query(
        text=text if re.search(r"\w", text) else question,
        outlets=tuple(outlets),
        period=period,
        recency=asks_for_recent(_FILTER.sub(" ", question)),
        as_of=today,
        cutoff=_day(today + timedelta(days=1)).replace(tzinfo=tz),
    )
