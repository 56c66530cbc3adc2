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
    yourselves also said says say according many much one two s t""".split()
)

# Words that make a question lean on the previous turn ("Who denounced them?").
ANAPHORA = frozenset(
    "he she it they them their theirs his her its this that these those there then him".split()
)


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


# Past forms of irregular verbs common in news, so "won" matches "win" and "rose" "rise".
IRREGULAR = dict(
    pair.split(":")
    for pair in """won:win lost:lose fell:fall fallen:fall rose:rise risen:rise grew:grow grown:grow
    began:begin begun:begin led:lead met:meet paid:pay sold:sell took:take taken:take gave:give
    given:give left:leave held:hold spent:spend told:tell wrote:write written:write struck:strike
    fought:fight brought:bring bought:buy built:build caught:catch chose:choose chosen:choose
    drove:drive driven:drive flew:fly flown:fly got:get gotten:get kept:keep knew:know known:know
    sent:send shot:shoot spoke:speak spoken:speak stood:stand stole:steal stolen:steal
    taught:teach threw:throw thrown:throw went:go gone:go came:come saw:see seen:see found:find
    made:make sought:seek thought:think ran:run swore:swear sworn:swear hid:hide hidden:hide
    broke:break broken:break froze:freeze frozen:freeze sank:sink sunk:sink ate:eat eaten:eat
    drew:draw drawn:draw forbade:forbid forbidden:forbid""".split()
)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem: 'strikes' -> 'strike', 'denounced' -> 'denounc'."""
    return _stemmer().stemWord(IRREGULAR.get(word, word))


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
