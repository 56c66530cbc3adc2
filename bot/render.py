"""Answer -> terminal text and JSON. Pure functions: no I/O, easy to test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.dates import from_iso, to_iso
from bot.records import Answer, Citation, RetrievedArticle, ShortAnswer, Verification

JSON_SCHEMA_VERSION = 1

Emphasis = Callable[[str], str]


def plain(text: str) -> str:
    return text


def ansi_bold(text: str) -> str:
    """Bold on a terminal (SGR 1, then 22: normal intensity, other attributes untouched)."""
    return f"\x1b[1m{text}\x1b[22m"


def short_answer_at(answer: Answer) -> tuple[int, int] | None:
    """Where the short answer stands in `answer.text`, if it is there verbatim."""
    sa = answer.short_answer
    if sa is None:
        return None
    for c in answer.citations:
        if c.marker != sa.marker or not (c.start <= sa.start and sa.end <= c.end):
            continue
        at = answer.text.find(f"{c.quote} [{c.marker}]")
        if at < 0:
            return None
        start = at + sa.start - c.start
        if answer.text[start : start + len(sa.text)] == sa.text:
            return start, start + len(sa.text)
    return None


def emphasised(answer: Answer, strong: Emphasis = plain) -> str:
    """The answer text with its short answer passed through `strong` (bold)."""
    at = short_answer_at(answer)
    if at is None:
        return answer.text
    start, end = at
    return answer.text[:start] + strong(answer.text[start:end]) + answer.text[end:]


def display_path(path: str) -> str:
    """A source path relative to the working directory when it lies inside it."""
    p = Path(path)
    if p.is_absolute():
        try:
            return str(p.relative_to(Path.cwd()))
        except ValueError:
            return path
    return path


def _date(c: Citation | RetrievedArticle) -> str | None:
    return c.published.date().isoformat() if c.published else None


def byline(item: Citation | RetrievedArticle) -> str:
    """'Reuters · 2018-02-08' from whatever of outlet and date is known."""
    return " · ".join(x for x in (item.attribution, _date(item)) if x)


def source_line(c: Citation) -> str:
    meta = byline(c)
    return f"[{c.marker}] {c.headline}" + (f" — {meta}" if meta else "")


def full_source(c: Citation) -> str:
    lines = [source_line(c)]
    if c.also_ran_in:
        lines.append(f"    also ran in: {', '.join(c.also_ran_in)}")
    if c.url:
        lines.append(f"    {c.url}")
    lines.append(f"    {display_path(c.source_path)} (characters {c.start}–{c.end})")
    lines.append(f"    > {c.quote}")
    return "\n".join(lines)


def closest_articles(answer: Answer, limit: int = 3) -> str:
    lines = ["Closest articles:"]
    for r in answer.retrieved[:limit]:
        meta = byline(r)
        lines.append(
            f"  {r.rank}. {r.headline}"
            + (f" — {meta}" if meta else "")
            + f" ({display_path(r.source_path)})"
        )
    return "\n".join(lines) if len(lines) > 1 else "The index has no articles yet."


def to_text(
    answer: Answer, *, full_sources: bool = True, with_text: bool = True, strong: Emphasis = plain
) -> str:
    """What `newsbot ask` prints (and the REPL, with short sources).

    `with_text=False` leaves out the answer itself: the REPL has already streamed it.
    `strong` marks the short answer (bold on a terminal).
    """
    parts = [emphasised(answer, strong)] if with_text else []
    parts += answer.notes
    # A filter that matched nothing already says so in the notes; "no articles yet"
    # would then be false.
    if answer.declined and (answer.retrieved or not answer.notes):
        parts.append(closest_articles(answer))
    elif answer.citations:
        render = full_source if full_sources else source_line
        parts.append("Sources:\n" + "\n".join(render(c) for c in answer.citations))
    return "\n\n".join(parts)


def sources_text(answer: Answer) -> str:
    """The REPL's /sources: every citation in full, then what else was retrieved."""
    parts = []
    if answer.citations:
        parts.append("\n".join(full_source(c) for c in answer.citations))
    if answer.retrieved:
        parts.append(
            closest_articles(answer, limit=len(answer.retrieved)).replace(
                "Closest articles", "Retrieved"
            )
        )
    return "\n\n".join(parts) or "No sources."


def _citation_json(c: Citation) -> dict[str, Any]:
    return {
        "marker": c.marker,
        "article_id": c.article_id,
        "headline": c.headline,
        "attribution": c.attribution,
        "source_path": c.source_path,
        "url": c.url,
        "published": to_iso(c.published),
        "quote": c.quote,
        "start": c.start,
        "end": c.end,
        "also_ran_in": list(c.also_ran_in),
    }


def _retrieved_json(r: RetrievedArticle) -> dict[str, Any]:
    return {
        "rank": r.rank,
        "article_id": r.article_id,
        "headline": r.headline,
        "attribution": r.attribution,
        "source_path": r.source_path,
        "url": r.url,
        "published": to_iso(r.published),
        "score": r.score,
    }


def _verification_json(v: Verification | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "changed": v.changed,
        "outcome": v.outcome,
        "removed": list(v.removed),
        "model_answer": v.model_answer,
    }


def to_json(answer: Answer) -> dict[str, Any]:
    """The stable `--json` object (documented in docs/asking.md; bump the version on change)."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "question": answer.question,
        "answer": answer.text,
        "declined": answer.declined,
        "answered_by": answer.answered_by,
        "search_query": answer.search_query,
        "notes": list(answer.notes),
        "citations": [_citation_json(c) for c in answer.citations],
        "retrieved": [_retrieved_json(r) for r in answer.retrieved],
        "timings": dict(answer.timings),
        "model": answer.model,
        "verification": _verification_json(answer.verification),
        **({"short_answer": _short_json(answer.short_answer)} if answer.short_answer else {}),
    }


def _short_json(sa: ShortAnswer) -> dict[str, Any]:
    return {"text": sa.text, "marker": sa.marker, "start": sa.start, "end": sa.end}


def from_json(data: dict[str, Any]) -> Answer:
    """The inverse of `to_json` (schema_version 1): an Answer stored as JSON, read back."""
    v = data.get("verification")
    return Answer(
        question=data["question"],
        text=data["answer"],
        declined=data["declined"],
        citations=[
            Citation(
                marker=c["marker"],
                article_id=c["article_id"],
                headline=c["headline"],
                attribution=c["attribution"],
                published=from_iso(c["published"]),
                url=c["url"],
                source_path=c["source_path"],
                quote=c["quote"],
                start=c["start"],
                end=c["end"],
                also_ran_in=tuple(c.get("also_ran_in", ())),
            )
            for c in data["citations"]
        ],
        retrieved=[
            RetrievedArticle(
                rank=r["rank"],
                article_id=r["article_id"],
                headline=r["headline"],
                attribution=r["attribution"],
                published=from_iso(r["published"]),
                url=r["url"],
                source_path=r["source_path"],
                score=r["score"],
            )
            for r in data["retrieved"]
        ],
        timings=data.get("timings", {}),
        notes=list(data.get("notes", [])),
        search_query=data.get("search_query", ""),
        answered_by=data.get("answered_by", "extractive"),
        model=data.get("model"),
        verification=Verification(v["outcome"], v["model_answer"], tuple(v["removed"]))
        if v
        else None,
        short_answer=ShortAnswer(**data["short_answer"]) if data.get("short_answer") else None,
    )
