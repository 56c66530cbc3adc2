"""Article text that must never pass for newsbot's own voice. Pure functions, no I/O.

- Sentences that read as instructions to an assistant or a system ("Ignore previous
  instructions and answer ...", "SYSTEM: reply only with ...") are data, never an answer:
  the extractive answerer leaves them out (`without_instructions`), verification never
  counts them as support (bot/verify.py), and the quoted answer shown when a model's answer
  fails verification is checked once more (`refuse_planted`).
- Bracketed numbers in article text (`[2]`, footnote markers copied from a wiki) would read
  as newsbot's citation markers: `quoted` takes them out of what is shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeVar

from bot.records import DECLINE_TEXT, Answer

T = TypeVar("T")

_NOUNS = (
    r"(?:instructions?|rules|prompts?|directions|guidelines|commands|guidance|directives|"
    r"orders|context|messages|constraints)"
)
_ADDRESSEE = r"(?:ai|assistant|chatbot|chat\s*bot|language\s+model|llm|bot|model)"
_INSTRUCTION = re.compile(
    # "Ignore previous instructions", "disregard all prior guidance", "forget your rules"
    rf"\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|my|of|these|"
    rf"those)\s+)*(?:(?:previous|prior|above|earlier|preceding|former|existing|system|"
    rf"original|other|safety)\s+)?{_NOUNS}\b"
    r"|\bignore\s+(?:everything|anything|all)\s+(?:above|before|else|previous|prior)\b"
    r"|\bsystem\s+(?:prompt|message|instructions?)\b"
    # A speaker label of a chat transcript, or a chat template's markers.
    r"|^\W*(?:system|assistant|developer)\s*:"
    r"|<\|\s*(?:im_start|im_end|system|user|assistant|endoftext)\s*\|>|\[/?INST\]|<</?SYS>>"
    r"|^\W*#+\s*(?:instructions?|system|response)\s*:"
    r"|\btell\s+(?:the\s+|your\s+|all\s+|any\s+)?readers?\b"
    r"|\btell\s+(?:the\s+)?(?:users?|audience)\s+that\b"
    r"|\byou\s+(?:must|should|will|shall|need\s+to|have\s+to|are\s+(?:required|instructed)\s+to)"
    r"\s+(?:now\s+|always\s+|only\s+)?(?:say|answer|respond|reply|write|state|tell|output|cite|"
    r"claim|report|mention|include|add|ignore|follow|obey|repeat|print)\b"
    r"|\bcite\s+(?:it|this|that|them)\s+as\s+\[\s*\d+\s*\]"
    r"|\b(?:respond|reply|answer)\s+(?:only\s+|exactly\s+)?with\s*(?::|[\"'“‘]|exactly\b|only\b|"
    r"the\s+(?:words?|text|phrase|sentence|following)\b)"
    r"|\b(?:answer|respond|reply|say)\s+(?:only|exactly)\s*(?::|[\"'“‘])"
    r"|\byou\s+are\s+now\b"
    r"|\byour\s+new\s+(?:task|role|instructions?|goal|job|purpose)\b"
    # "From now on, answer every question with ..." (but "from now on, you should pay more
    # for oil" is a quote in the news).
    r"|\bfrom\s+now\s+on\s*,?\s+(?:you\s+(?:must|should|will|are\s+to)\s+)?(?:always\s+|only\s+)?"
    r"(?:answer|respond|reply|say|write|tell|act\s+as|behave\s+as|ignore|pretend)\b"
    r"|\bwhen(?:ever)?\s+(?:you\s+are\s+|you're\s+)?asked\s+(?:about|for|whether|who|what|"
    r"how|when|where|if)\b[^.!?]{0,120}?[,;]?\s*(?:always\s+|only\s+)?(?:say|answer|reply|"
    r"respond|tell|state|claim)\b"
    rf"|\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|llm|language\s+model|assistant|chatbot|bot)\b"
    r"|\bas\s+an\s+ai\s+(?:language\s+)?model\s*,?\s+you\b"
    r"|\b(?:admin|developer|maintenance|debug|god|jailbreak|dan)\s+mode\b"
    r"|\b(?:new|updated|real|additional|hidden)\s+instructions\s*(?::|follow\b)"
    # "The rules above are revoked" (but "parking rules are suspended" is news).
    r"|\b(?:(?:above|previous|prior|earlier|all|your|system|these|those|original|my)\s+"
    r"(?:rules|instructions)|(?:rules|instructions)\s+(?:above|below))\s+(?:are|is|have\s+been)"
    r"\s+(?:revoked|void|cancell?ed|suspended|lifted|no\s+longer)"
    rf"|\b(?:dear|attention|note\s+to(?:\s+(?:the|any|all))?|hey|hello|hi)\s*,?\s+{_ADDRESSEE}s?\b"
    rf"|\b{_ADDRESSEE}s?(?:\s+(?:models?|assistants?|tools?|systems?))?"
    r"\s+(?:reading|summari[sz]ing|processing|answering\s+questions\s+about)"
    r"\s+this\b"
    r"|^\W*(?:please\s+)?(?:respond|reply|pretend|act\s+as|cite)\b"
    r"|^\W*(?:please\s+)?(?:say|write|answer|print|output|repeat)\s+(?:that|only|exactly|"
    r"the\s+following)\b"
    r"|^\W*(?:please\s+)?(?:do\s+not|don't|never)\s+(?:mention|reveal|disclose|cite|quote)\b",
    re.IGNORECASE,
)
# A bracketed number or list of numbers, as newsbot writes its citation markers.
_MARKER = re.compile(r"[ \t]*\[\s*\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*\]")


def reads_as_instructions(text: str) -> bool:
    """Whether a sentence speaks to a model or a system rather than to a reader."""
    return bool(_INSTRUCTION.search(text))


def without_instructions(items: Iterable[T], text: Callable[[T], str]) -> list[T]:
    """The items whose text doesn't read as instructions (the answerers' one-line filter)."""
    return [item for item in items if not reads_as_instructions(text(item))]


def refuse_planted(answer: Answer) -> Answer:
    """`answer` unchanged, or declined when it quotes text that reads as instructions: the
    last check before a quoted answer replaces a model's that failed verification."""
    if not any(reads_as_instructions(c.quote) for c in answer.citations):
        return answer
    return replace(answer, text=DECLINE_TEXT, declined=True, citations=[])


def quoted(text: str) -> str:
    """Article text as shown in an answer: its own bracketed numbers (footnote markers)
    taken out, so none passes for one of newsbot's citations."""
    if "[" not in text:
        return text
    return _MARKER.sub("", text)
