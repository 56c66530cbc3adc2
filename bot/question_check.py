"""Is this a question newsbot can take? Empty, too long, or a mistyped filter is a usage
error (QuestionError) that says what to fix, never a search that quietly finds nothing."""

from __future__ import annotations

import difflib
import re

from bot.errors import QuestionError
from bot.query import FILTER_KEYS, parse_query

NEEDED = "A question is needed: write what you want to know about the articles."
TOO_LONG = "The question is {n:,} characters long; the limit is {limit:,}. Ask it in fewer words."
DID_YOU_MEAN = "{token}: {key}: is not a filter; did you mean {known}:? " + (
    "Filters: from:, after:, before:, on: (also outlet:, since:, until:)."
)
NOT_A_DATE_FILTER = (
    "{token}: {key}: is not a filter; for dates use after:, before: or on: with a day "
    "(on:2018-02-07), or say it in words (“in 2018”, “last week”)."
)

# A word glued to a value by a colon, as filters are written. Not a URL (https://), a time
# (9:30), an emoji code (:eyes:) or an address (user@host:path).
_KEYED = re.compile(r"(?<![\w:/.@-])([A-Za-z]{2,12}):(?=[\"\w])(\"[^\"]*\"|\S*)")
_DATE_LIKE = re.compile(r"\d{4}(-\d{1,2}){0,2}\b")
# What people type for a filter that is called something else here.
_SYNONYMS = {"source": "from", "publisher": "from", "paper": "from", "date": "on"}


def check_question(question: str, max_chars: int) -> str:
    """The question without surrounding white space, or QuestionError saying what to fix."""
    text = question.strip()
    if not re.search(r"\w", text):  # empty, white space, or only punctuation ("???")
        raise QuestionError(NEEDED)
    if len(text) > max_chars:
        raise QuestionError(TOO_LONG.format(n=len(text), limit=max_chars))
    for match in _KEYED.finditer(text):
        problem = _filter_problem(match.group(1), match.group(0).rstrip("?.!,;:"))
        if problem:
            raise QuestionError(problem)
    parse_query(text)  # a typed filter's value that can't be read (after:yesterday)
    return text


def _filter_problem(key: str, token: str) -> str | None:
    """Why `key:` looks like a mistyped filter, or None when it is one, or plain text
    (re:Invent) that doesn't look like a filter at all."""
    word = key.lower()
    if word in FILTER_KEYS:
        return None
    known = _SYNONYMS.get(word) or next(
        iter(difflib.get_close_matches(word, FILTER_KEYS, n=1, cutoff=0.7)), None
    )
    if known:
        return DID_YOU_MEAN.format(token=token, key=key, known=known)
    value = token.split(":", 1)[1]
    if _DATE_LIKE.fullmatch(value):
        return NOT_A_DATE_FILTER.format(token=token, key=key)
    return None
