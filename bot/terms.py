"""Word-level text handling shared by retrieval and answer scoring."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also said says say according many much one two s t""".split()  # noqa: SIM905
)

# Words that make a question lean on the previous turn ("Who denounced them?").
ANAPHORA = frozenset(
    "he she it they them their theirs his her its this that these those there then him".split()  # noqa: SIM905
)


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem: 'strikes' -> 'strike', 'denounced' -> 'denounc'."""
    return _stemmer().stemWord(word)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer  # PyStemmer: the C Snowball stemmer bm25s recommends

    return Stemmer.Stemmer("english")


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stop words), in order, with repeats."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def is_follow_up(question: str) -> bool:
    """True when a question probably needs the previous turn to make sense."""
    ws = words(question)
    return any(w in ANAPHORA for w in ws) or len(content_terms(question)) <= 1
