"""Figures in news sentences ("over 100 killed", "$2.5 million in aid", "54 percent of the
vote") and when two of them count the same thing differently. Pure functions, no model.

A figure is a number in digits (with its scale word, percent sign or currency) and what it
counts. What it counts must be pinned down, or no figure is read at all:

* a participle or past verb next to it: "100 killed", "100 homes were destroyed",
  "destroyed 100 homes" (the role: killed, destroyed); "people"/"persons" stand for the
  counted ones themselves, so "150 people killed" counts what "over 100 killed" counts;
* a percentage of something: "54 percent of the vote";
* an amount of money in something: "$5 million in aid", "a $5 million fine".

Everything else is left alone: years, times, ages and durations ("2018", "45 years"),
names with numbers ("Route 9", "Flight 370"), ranges and changes ("from 100 to 150"),
ordinals, and numbers whose noun says nothing of what changed ("a city of 100,000 people",
"1,000 workers"). When a text gives two values for one thing, neither is used.
Precision over recall: a wrong "figures differ" line is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.terms import IRREGULAR, STOPWORDS, stem

# A number in digits: 1,500 or 1500 or 2.5; not part of a word, a date (2018-02-08), a
# score (3-1), a time (9:30) or a version (1.2.3).
_NUMBER = re.compile(
    r"(?<![\w.,:/-])(?:(?P<cur>US\$|[$£€¥])\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?![\w:/]|[.,]\d|[-–]\d)"
)
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6}
_CURRENCY_SYMBOLS = {"$": "dollar", "US$": "dollar", "£": "pound", "€": "euro", "¥": "yen"}
_CURRENCY_WORDS = {
    "dollar": "dollar", "dollars": "dollar", "euro": "euro", "euros": "euro",
    "pound": "pound", "pounds": "pound", "yen": "yen", "yuan": "yuan", "rupees": "rupee",
    "rupee": "rupee", "francs": "franc", "franc": "franc", "pesos": "peso", "peso": "peso",
}  # fmt: skip
# Words before a number that qualify it; they belong to the verbatim figure.
QUALIFIERS = (
    "more than", "fewer than", "less than", "at least", "at most", "as many as", "close to",
    "up to", "an estimated", "over", "nearly", "almost", "about", "around", "some", "roughly",
    "approximately", "just over", "just under", "under", "only",
)  # fmt: skip
_QUALIFIER = re.compile(
    r"\b(?:" + "|".join(q.replace(" ", r"\s+") for q in QUALIFIERS) + r")\s+$", re.I
)
# The word before a number that makes it part of a range, a change or a name.
_RANGE_WORDS = frozenset("from between by no number nos".split())
_RANGE_END = re.compile(r"(?:\d\s*(?:to|-|–)|between\s+\S+\s+(?:and|or))\s*$", re.I)
# Words after a number that make it a time, an age, a date or an ordinal, not a count.
_NOT_COUNTS = frozenset(
    """second seconds minute minutes hour hours day days night nights week weeks month months
    year years decade decades century centuries am pm a.m p.m o'clock th st nd rd times time
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday percentile degrees degree km miles mph kg""".split()
)
# Nouns that stand for the counted ones themselves: "150 people killed" = "150 killed".
_COUNTED_ONES = frozenset("people persons individuals".split())
# Words that may stand between a noun and its participle: "100 homes were destroyed".
_AUXILIARIES = frozenset(
    """were was are is have has had been being be reportedly already also now so far still
    believed thought feared confirmed reported""".split()
)
# Words between a percentage or an amount and what it is of: "54 percent of the vote".
_LINKS = frozenset("of in for worth the a an its their his her all".split())
# Past forms that don't end in -ed: "100 homes lost power", "left 100 homeless".
_PAST_FORMS = frozenset(IRREGULAR) | frozenset(
    "hurt dead missing homeless wounded injured killed cut put shut set hit spread".split()
)
# Words that end in -ed without being a participle of a count.
_NOT_PARTICIPLES = frozenset("need hundred red bed seed feed speed shed bred led".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*")


@dataclass(frozen=True)
class Mention:
    """One figure in a text: its verbatim words, value and what it counts."""

    text: str  # qualifier to noun, verbatim: "over 100 killed"
    value: float
    thing: tuple[str, ...]  # stems of what it counts: ("kill",), ("home", "destroy")
    label: str  # what it counts, as written: "killed", "homes destroyed"
    start: int  # offsets of `text` in the text searched
    end: int


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower().replace("’", "'")


def mentions(text: str, *, loose: bool = False) -> list[Mention]:
    """Every figure in `text` whose thing can be pinned down, in order. `loose` also reads
    numbers after a capitalised word ("Earlier 900 residents…", but also "Route 9 buses"):
    for finding out whether a text counts a thing twice, never for a figure to show."""
    found = []
    for m in _NUMBER.finditer(text):
        mention = _mention(text, m, loose)
        if mention is not None:
            found.append(mention)
    return found


def _mention(text: str, m: re.Match[str], loose: bool = False) -> Mention | None:
    number = m.group("num")
    value = float(number.replace(",", "") + (m.group("dec") or ""))
    start = m.start()
    before = text[:start]
    qualifier = _QUALIFIER.search(before)
    lead_start = qualifier.start() if qualifier else start
    previous = _last_word(text[:lead_start])
    if previous is not None and _names_or_ranges(previous, text[:lead_start], loose):
        return None
    after = _words_after(text, m.end(), 6)
    glued = not after or text[m.end() : after[0].start].strip(" \u00a0") not in ("", "-")
    if glued and not text[m.end() :].startswith("%"):
        return None  # "100," or "100." leaves nothing counted; "100%", "100-strong" do
    currency = _CURRENCY_SYMBOLS.get(m.group("cur") or "")
    rest = list(after)
    end = m.end()
    if rest and rest[0].lower in _SCALES and (rest[0].lower != "m" or currency):
        value *= _SCALES[rest[0].lower]
        end = rest[0].end
        rest = rest[1:]
    plain_year = (
        currency is None and m.group("dec") is None and "," not in number
        and len(number) == 4 and 1800 <= value <= 2100
    )  # fmt: skip
    if text[end:].startswith("%"):
        end += 1
        return _of_something("percent", value, text, lead_start, end, _words_after(text, end, 5))
    if rest and rest[0].lower in ("percent", "per") and _is_percent(rest):
        end = rest[1].end if rest[0].lower == "per" else rest[0].end
        rest = rest[2:] if rest[0].lower == "per" else rest[1:]
        return _of_something("percent", value, text, lead_start, end, rest)
    if currency is None and rest and rest[0].lower in _CURRENCY_WORDS:
        currency = _CURRENCY_WORDS[rest[0].lower]
        end = rest[0].end
        rest = rest[1:]
    if currency is not None:
        return _of_something(currency, value, text, lead_start, end, rest)
    if plain_year or not rest or (m.group("dec") and not _SCALES.get(after[0].lower)):
        return None  # a year, or a decimal count ("2.5 homes") that is a measure, not a count
    return _count(value, text, lead_start, previous, rest)


def _names_or_ranges(previous: _Word, before: str, loose: bool = False) -> bool:
    """The number belongs to a name ("Route 9"), a range or change ("from 100 to 150")."""
    if previous.lower.rstrip(".") in _RANGE_WORDS or before.rstrip().endswith(("#", "-", "–")):
        return True
    if _RANGE_END.search(before):  # the second number of "100 to 150", "between 5 and 9"
        return True
    # "Route 9", "Flight 370", "Boeing 737"; but "In 2018" and "The 150 victims" are no names
    return not loose and previous.text[:1].isupper() and previous.lower not in STOPWORDS


def _is_percent(rest: Sequence[_Word]) -> bool:
    return rest[0].lower == "percent" or (len(rest) > 1 and rest[1].lower == "cent")


def _of_something(
    unit: str, value: float, text: str, start: int, end: int, rest: Sequence[_Word]
) -> Mention | None:
    """A percentage or an amount, and what it is of: "54 percent of the vote", "$5 million
    in aid". Only the link words may stand between them."""
    for i, w in enumerate(rest[:4]):
        if w.lower in _LINKS:
            continue
        if not _contiguous(text, rest[: i + 1], end) or w.lower in STOPWORDS or _not_a_noun(w):
            return None
        thing = (unit, stem(w.lower))
        label = ("percent " if unit == "percent" else "") + text[rest[0].start : w.end]
        return Mention(text[start : w.end], value, thing, label, start, w.end)
    return None


def _count(
    value: float, text: str, start: int, previous: _Word | None, rest: Sequence[_Word]
) -> Mention | None:
    """A count and its role: "100 killed", "100 homes were destroyed", "destroyed 100 homes"."""
    noun = rest[0]
    if noun.lower in STOPWORDS or noun.lower in _NOT_COUNTS or not _contiguous(text, [noun], None):
        return None
    if _participle(noun.lower):  # "over 100 killed", "100 dead"
        return Mention(text[start : noun.end], value, (_root(noun.lower),), noun.text, start,
                       noun.end)  # fmt: skip
    role_after = _role_after(text, rest)
    if role_after is not None:
        role, end = role_after
        thing = _thing(noun.lower, role)
        label = role.text if len(thing) == 1 else f"{noun.text} {role.text}"
        return Mention(text[start:end], value, thing, label, start, end)
    if previous is not None and _participle(previous.lower) and _adjacent(text, previous, start):
        thing = _thing(noun.lower, previous)
        label = previous.text if len(thing) == 1 else f"{previous.text} {noun.text}"
        return Mention(text[previous.start : noun.end], value, thing, label, previous.start,
                       noun.end)  # fmt: skip
    return None


def _role_after(text: str, rest: Sequence[_Word]) -> tuple[_Word, int] | None:
    """The participle after a count's noun, across auxiliaries: "homes were destroyed"."""
    for i, w in enumerate(rest[1:5], start=1):
        if not _contiguous(text, rest[: i + 1], None):
            return None
        if w.lower in _AUXILIARIES:
            continue
        return (w, w.end) if _participle(w.lower) else None
    return None


def _thing(noun: str, role: _Word) -> tuple[str, ...]:
    root = _root(role.lower)
    return (root,) if noun in _COUNTED_ONES else (stem(noun), root)


def _root(word: str) -> str:
    return stem(IRREGULAR.get(word, word))


def _participle(word: str) -> bool:
    return (
        word.endswith("ed") and len(word) >= 4 and word not in _NOT_PARTICIPLES
    ) or word in _PAST_FORMS


def _not_a_noun(w: _Word) -> bool:
    return w.lower in _NOT_COUNTS or (_participle(w.lower) and w.lower.endswith("ed"))


def _adjacent(text: str, previous: _Word, start: int) -> bool:
    return not text[previous.end : start].strip()


def _contiguous(text: str, words: Sequence[_Word], end: int | None) -> bool:
    """No punctuation between the words (a comma or a full stop ends what is counted)."""
    first = words[0].start if end is None else end
    for w in words:
        if text[first : w.start].strip(" \u00a0-"):
            return False
        first = w.end
    return True


def _words_after(text: str, pos: int, n: int) -> list[_Word]:
    out = []
    for m in _WORD.finditer(text, pos):
        out.append(_Word(m.group(), m.start(), m.end()))
        if len(out) >= n:
            break
    return out


def _last_word(text: str) -> _Word | None:
    last = None
    for m in _WORD.finditer(text, max(0, len(text) - 40)):
        last = m
    if last is None or text[last.end() :].strip():
        return None  # punctuation stands between it and the number
    return _Word(last.group(), last.start(), last.end())


def unambiguous(
    found: Iterable[Mention], loosely: Iterable[Mention] = ()
) -> dict[tuple[str, ...], Mention]:
    """The figures of one text by what they count, leaving out anything counted with two
    different values ("100 killed in the north and 50 killed in the south"), among them
    or among `loosely` (the same text read with `mentions(loose=True)`)."""
    by_thing: dict[tuple[str, ...], Mention] = {}
    values: dict[tuple[str, ...], list[float]] = {}
    for m in found:
        by_thing.setdefault(m.thing, m)
    for m in [*by_thing.values(), *found, *loosely]:
        values.setdefault(m.thing, []).append(m.value)
    return {k: v for k, v in by_thing.items() if all(same_value(v.value, x) for x in values[k])}


def same_value(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


# -- who or what a sentence is about --------------------------------------------------

_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")
_NOT_NAMES = frozenset(
    """The A An This That These Those It Its He She They We I In On At By For From With After
    Before But And Or As Of To Officials Police Mr Mrs Ms Dr""".split()
)
# Days and months say when something was reported, which differs between an article and
# its follow-up; they don't make two figures about different things.
TIME_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december""".split()
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_WORDS = re.compile(r"[\w'’-]+")


def _plain(word: str) -> str:
    return re.sub(r"'s$", "", word.lower().replace("’", "'"))


def names(sentence: str, ignore: Iterable[str] = ()) -> set[str]:
    """Capitalised words of a sentence that name someone, somewhere or something (its
    first word only when it is part of a longer name), lower-cased, and the years it
    names; not days or months. `ignore` holds names that say who reported it (outlets)."""
    skip = {_plain(w) for name in ignore for w in name.split()}
    out = set()
    text = sentence.strip()
    for m in _NAME.finditer(text):
        parts = m.group().split()
        if m.start() == 0 or text[: m.start()].rstrip().endswith((".", '"', "“", ":")):
            # Capitalised for standing first: a name only as part of a longer one.
            parts = parts if len(parts) > 1 else []
        out |= {_plain(p) for p in parts if p not in _NOT_NAMES}
    return (out | set(_YEAR.findall(text))) - skip - TIME_WORDS


def words_of(text: str) -> set[str]:
    """Every word of a text, lower-cased, possessives plain: what `names` are looked up in."""
    return {_plain(w) for w in _WORDS.findall(text)}


def strangers(sentence_names: set[str], other_words: set[str]) -> set[str]:
    """The names a sentence gives that another article never mentions: a figure "in
    Oakdale" or "in 2008" counts something else than an article about Millbrook in 2021."""
    return sentence_names - other_words
