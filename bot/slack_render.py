"""Answer -> Slack Block Kit messages. Pure functions: no I/O, no slack_sdk import.

Everything that came from an article or a user is escaped for mrkdwn (`&`, `<`, `>`) and sent
with `verbatim` text objects, so no article can ping `<!channel>`, mention a user or make a link;
its formatting marks and `:emoji:` codes are neutralised, so it shows as typed (`literal`).
Long answers are split into several messages within Slack's limits, never inside a word, an
`&amp;` entity or a `<url|label>` link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from bot.records import Answer, Citation, Coverage, RetrievedArticle
from bot.render import (
    byline,
    figures_line,
    listed_meta,
    newer_coverage_shown,
    related_coverage,
    short_answer_at,
)

# Slack's documented limits (Block Kit reference, chat.postMessage).
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_MESSAGE_CHARS = 40_000
MAX_BUTTON_VALUE = 2000
# Our own caps, so one odd article field can't eat a message.
MAX_HEADLINE_CHARS = 300
MAX_META_CHARS = 200
MAX_URL_CHARS = 2000

FEEDBACK_UP = "newsbot_feedback_up"
FEEDBACK_DOWN = "newsbot_feedback_down"
SHARE = "newsbot_share"

Block = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    """One chat message: Block Kit blocks and the plain-text fallback for notifications."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """The text as typed: entities decoded, `literal`'s invisible spaces taken out."""
    text = text.replace(ZWSP, "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


ZWSP = "\u200b"  # zero-width space
# A formatting mark Slack could act on: one not inside a word (Slack leaves `snake_case` alone).
_MARK = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")
_EMOJI_CODE = re.compile(r":(?=[A-Za-z0-9_+'-]+:)")  # the first colon of `:name:`
_QUOTE = re.compile(r"^(?=&gt;)", re.MULTILINE)  # `>` opening a line quotes it


def literal(text: str) -> str:
    """Escaped mrkdwn that Slack shows exactly as `text` reads.

    Slack's mrkdwn has no escape for `*bold*`, `_italic_`, `~strike~`, `` `code` `` or
    `:emoji:` (a ratio of 1:100:2 shows 💯). A zero-width space on both sides of a mark
    stops it pairing whether Slack takes the space for a space or for a letter; one after
    an emoji code's first colon breaks the code. Invisible, and `unescape` takes it out.
    """
    text = _MARK.sub(lambda m: ZWSP + m[0] + ZWSP, escape(text))
    return _QUOTE.sub(ZWSP, _EMOJI_CODE.sub(":" + ZWSP, text))


def link(url: str | None, label: str) -> str:
    """`<url|label>` for an http(s) URL; the (literal) label alone for anything else."""
    safe_label = literal(label).replace("|", "¦")  # a pipe would end the URL part early
    if not url or len(url) > MAX_URL_CHARS:
        return safe_label
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return safe_label
    # Characters that would end or break the link are percent-encoded; `&` is entity-escaped.
    safe_url = quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~-._").replace("&", "&amp;")
    return f"<{safe_url}|{safe_label}>"


def shorten(text: str, limit: int) -> str:
    """Cut plain text to `limit` characters at a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


# --- splitting -----------------------------------------------------------------------------

# Spans a cut must never fall inside: links/mentions and character entities.
_ATOM = re.compile(r"<[^<>]*>|&(?:amp|lt|gt);")
_LINK = re.compile(r"<([^<>|]*)\|?([^<>]*)>")
_PARAGRAPH = re.compile(r"\n\s*")
# After a sentence end (and any closing quotes and citation markers): the whitespace to cut at.
_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*(?:[ \t]+\[\d+\])*(\s+)")
_SPACE = re.compile(r"\s+")


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """Split escaped mrkdwn into pieces of at most `limit` characters.

    Prefers paragraph breaks, then sentence ends, then any space, in the second half of the
    window; never cuts inside a word, an entity or a link unless one alone exceeds `limit`.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    # A link longer than a whole piece can't be kept whole: keep its label instead.
    rest = _LINK.sub(lambda m: m[0] if len(m[0]) <= limit else m[2] or m[1], text)
    rest = rest.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    atoms = []
    for m in _ATOM.finditer(text):
        if m.start() > limit:
            break
        atoms.append(m.span())

    def inside_atom(pos: int) -> bool:
        return any(start < pos < end for start, end in atoms)

    def candidates(pattern: re.Pattern[str], group: int) -> list[int]:
        found = []
        for m in pattern.finditer(text, 0, limit + 1):
            pos = m.start(group)
            if 0 < pos <= limit and not inside_atom(pos):
                found.append(pos)
        return found

    half = limit // 2
    for pattern, group in ((_PARAGRAPH, 0), (_SENTENCE, 1)):
        good = [p for p in candidates(pattern, group) if p >= half]
        if good:
            return good[-1]
    spaces = candidates(_SPACE, 0)
    if spaces:
        return spaces[-1]
    # One unbreakable run longer than the limit: cut before the atom that straddles the limit.
    for start, end in atoms:
        if start < limit < end and start > 0:
            return start
    return limit


# --- rendering -----------------------------------------------------------------------------


def _mrkdwn(text: str) -> Block:
    # verbatim: Slack must not auto-link or auto-mention anything in our (escaped) text.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def fit(mrkdwn: str, limit: int = MAX_SECTION_CHARS) -> str:
    """Escaped mrkdwn cut to `limit` characters with an ellipsis, never inside an entity or link.

    Our caps count characters before escaping and percent-encoding, which can grow a text
    fivefold (`&` -> `&amp;`), so the finished text is checked against Slack's limit here.
    """
    if len(mrkdwn) <= limit:
        return mrkdwn
    end = limit - 1  # room for the ellipsis
    atoms = [m.span() for m in _ATOM.finditer(mrkdwn) if m.start() < end]
    # never inside an entity or link: cut before the one that straddles the limit
    end = next((start for start, stop in atoms if start < end < stop), end)
    spaces = [
        m.start()
        for m in _SPACE.finditer(mrkdwn, end // 2, end + 1)
        if not any(start < m.start() < stop for start, stop in atoms)
    ]
    if spaces:  # a word boundary in the second half reads better than a cut word
        end = spaces[-1]
    return mrkdwn[:end].rstrip() + "…"


def _context(lines: list[str]) -> list[Block]:
    """One context block per line: Slack lays a block's elements side by side."""
    return [{"type": "context", "elements": [_mrkdwn(fit(line))]} for line in lines]


def source_mrkdwn(item: Citation | RetrievedArticle, label: str) -> str:
    """`*[1]* Reuters · 8 Feb 2018 — <url|Headline>`, every part escaped, within Slack's limit.

    A link that would push the line over the limit is dropped (the headline stays): one
    odd URL must not cost the whole answer an `invalid_blocks`.
    """
    line = _source_line(item, label, linked=True)
    if len(line) > MAX_SECTION_CHARS:
        line = _source_line(item, label, linked=False)
    return fit(line)


def _source_line(item: Citation | RetrievedArticle, label: str, *, linked: bool) -> str:
    headline = shorten(item.headline, MAX_HEADLINE_CHARS)
    shown = link(item.url if linked else None, headline)
    meta = shorten(byline(item), MAX_META_CHARS)
    line = f"*{label}* {literal(meta)} — {shown}"
    if isinstance(item, Citation) and item.also_ran_in:
        also = shorten(", ".join(item.also_ran_in), MAX_META_CHARS)
        line += f" (also ran in {literal(also)})"
    return line


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        button["style"] = style
    return button


def actions_block(answer_id: str, *, share: bool) -> Block:
    elements = [
        _button("👍 Helpful", FEEDBACK_UP, answer_id),
        _button("👎 Not helpful", FEEDBACK_DOWN, answer_id),
    ]
    if share:
        elements.append(_button("Share in channel", SHARE, answer_id, style="primary"))
    return {"type": "actions", "block_id": "newsbot_answer_actions", "elements": elements}


def answer_messages(
    answer: Answer,
    *,
    answer_id: str | None = None,
    share: bool = False,
    asked_by: str | None = None,
    show_question: bool = False,
) -> list[SlackMessage]:
    """The answer as one or more messages; sources and buttons come with the last one.

    `asked_by` (a Slack user ID) and `show_question` introduce an answer that is shown away
    from its question (a shared /ask answer; an ephemeral reply).
    """
    head: list[Block] = []
    if show_question or asked_by:
        who = f"<@{asked_by}> asked" if asked_by and _is_slack_id(asked_by) else "Question"
        head = _context([f"{who}: {literal(shorten(answer.question, 2000))}"])  # shown_question
    body = [_section(part) for part in split_mrkdwn(answer_mrkdwn(answer), MAX_SECTION_CHARS)]
    tail: list[Block] = []
    if answer.figures_differ is not None and not answer.declined:
        tail += _context([figures_mrkdwn(answer)])
    if answer.notes:
        notes = [fit(literal(shorten(note, 2900)), MAX_SECTION_CHARS - 2) for note in answer.notes]
        tail += _context([f"_{note}_" for note in notes])
    if answer.declined and answer.retrieved:
        lines = [source_mrkdwn(r, f"{r.rank}.") for r in answer.retrieved[:3]]
        tail += _context(["*Closest articles:*", *lines])
    elif answer.citations:
        tail += _context([source_mrkdwn(c, f"[{c.marker}]") for c in answer.citations])
        tail += _context([coverage_mrkdwn(answer, m, n) for m, n in newer_coverage_shown(answer)])
        tail += related_block(answer)
    if answer_id:
        tail.append(actions_block(answer_id, share=share))
    return pack(head, body, tail)


def figures_mrkdwn(answer: Answer) -> str:
    """`*Figures differ:* over 100 killed (AP, 8 Feb) → 150 killed (Reuters, 9 Feb)`."""
    assert answer.figures_differ is not None
    line = figures_line(answer.figures_differ).removeprefix("Figures differ: ")
    return fit("*Figures differ:* " + literal(shorten(line, 2 * MAX_HEADLINE_CHARS)))


def coverage_mrkdwn(answer: Answer, marker: int, n: Coverage) -> str:
    """`*Newer coverage:* <url|Headline> — Reuters, 9 Feb 2018` (escaped, linked)."""
    label = f"Newer coverage than [{marker}]" if len(answer.citations) > 1 else "Newer coverage"
    return fit(f"*{label}:* {_listed_mrkdwn(n)}")


def related_block(answer: Answer) -> list[Block]:
    """The retrieved articles the answer doesn't use, collapsed into one small context
    block under the sources (at most three)."""
    related = related_coverage(answer)
    if not related:
        return []
    items = " · ".join(_listed_mrkdwn(r) for r in related)
    return _context([f"*Related coverage:* {items}"])


def _listed_mrkdwn(item: RetrievedArticle | Coverage) -> str:
    headline = shorten(item.headline, MAX_HEADLINE_CHARS)
    meta = shorten(listed_meta(item), MAX_META_CHARS)
    return f"{link(item.url, headline)} — {literal(meta)}"


def answer_mrkdwn(answer: Answer) -> str:
    """The answer text as mrkdwn, its short answer (the key fact) in bold."""
    at = short_answer_at(answer)
    if at is None:
        return literal(answer.text)
    start, end = at
    text = answer.text
    return f"{literal(text[:start])}*{literal(text[start:end])}*{literal(text[end:])}"


def pack(head: list[Block], body: list[Block], tail: list[Block]) -> list[SlackMessage]:
    """Fill messages with blocks in order within the block and character limits.

    The fallback text of each message is its answer text (escaped), so notifications and
    the thread history read as the answer itself.
    """
    messages: list[SlackMessage] = []
    blocks: list[Block] = []
    size = 0
    for block in [*head, *body, *tail]:
        chars = block_chars(block)
        if blocks and (len(blocks) >= MAX_BLOCKS or size + chars > MAX_MESSAGE_CHARS - 1000):
            messages.append(_message(blocks, body))
            blocks, size = [], 0
        blocks.append(block)
        size += chars
    if blocks:
        messages.append(_message(blocks, body))
    return messages


def _message(blocks: list[Block], body: list[Block]) -> SlackMessage:
    answer_blocks = {id(b) for b in body}
    texts = [b["text"]["text"] for b in blocks if id(b) in answer_blocks]
    if not texts:  # a message holding only sources: say so in the notification
        texts = ["Sources"]
    return SlackMessage(text="\n\n".join(texts), blocks=blocks)


def block_chars(block: Block) -> int:
    """Characters of text a block carries (what Slack's per-message limit counts)."""
    total = 0
    if "text" in block and isinstance(block["text"], dict):
        total += len(block["text"].get("text", ""))
    for element in block.get("elements", []):
        if isinstance(element.get("text"), str):
            total += len(element["text"])
        elif isinstance(element.get("text"), dict):
            total += len(element["text"].get("text", ""))
    return total


def notice(text: str, *, emoji: str = "") -> SlackMessage:
    """A short message from newsbot itself (a warning, a hint); `text` is made literal here."""
    mrkdwn = (f"{emoji} " if emoji else "") + literal(text)
    return SlackMessage(text=mrkdwn, blocks=[_section(fit(mrkdwn))])


def warning(text: str) -> SlackMessage:
    return notice(text, emoji=":warning:")


_SLACK_ID = re.compile(r"^[UW][A-Z0-9]+$")
_SHOWN_QUESTION = re.compile(r"(?:<@[UW][A-Z0-9]+> asked|Question): (.+)", re.DOTALL)


def shown_question(blocks: list[Block]) -> str | None:
    """The question an answer message shows in its first block ("<@U1> asked: …"), if any.

    A shared /ask answer starts a thread without a question of its own: a follow-up there
    needs this one.
    """
    first = blocks[0] if blocks else {}
    elements = first.get("elements") or [{}]
    if first.get("type") != "context" or not isinstance(elements[0].get("text"), str):
        return None
    match = _SHOWN_QUESTION.fullmatch(elements[0]["text"])
    return unescape(match[1]) if match else None


def _is_slack_id(value: str) -> bool:
    return bool(_SLACK_ID.match(value))
