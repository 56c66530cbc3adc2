"""Check a chat model's answer against the sources it was given. Pure: no I/O, no model.

Rules, applied to every sentence of the answer:
1. It carries at least one citation [n], and each n names a source that was given.
2. Each clause is supported by a source it cites: most of its content words (weighted by
   how rare they are in the source) appear in one sentence, or two adjacent sentences, of
   that source, every number in it appears there,
   and it doesn't drop or add a negation ("No Americans were injured" can't become
   "Americans were injured"). A paraphrase with fewer shared words passes when its
   embedding is close to the source sentence's (when a similarity function is given).
3. Text in quotation marks must appear verbatim in a source the clause cites.
A sentence that breaks a rule is removed; a citation that doesn't support its sentence is
dropped from it. The kept sentences are renumbered [1], [2]... in order of first citation.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from bot.chunking import split_sentences
from bot.terms import content_terms, stem, words

# Share of a clause's content words that must appear in the cited source sentence(s).
MIN_OVERLAP = 0.6
# A paraphrase: at least this share of words shared, and the embeddings this close.
MIN_OVERLAP_PARAPHRASE = 0.3
MIN_SIMILARITY = 0.7
# The quote shown for a citation spans the evidence of all clauses citing it, when that
# stays this short; otherwise it is the first clause's evidence.
MAX_QUOTE_CHARS = 700

MARKER_RUN = re.compile(r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
# Quoted words: “…”, "…", «…», and ‘…’ or '…' when the marks aren't apostrophes (an opening
# mark doesn't follow a letter or digit, a closing one isn't followed by a letter: "the
# mayor's 'reform' plan" quotes "reform", "the voters' anger" quotes nothing).
_QUOTED = re.compile(
    r"“([^”]+)”|\"([^\"]+)\"|«\s*([^»]+?)\s*»"
    r"|(?<!\w)‘(?=[^\s\d])(.+?)(?<=\S)’(?![^\W\d_])"
    r"|(?<!\w)'(?=[^\s\d'])(.+?)(?<=\S)'(?![^\W\d_])"
)
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|\[\.\.\.\]|\[…\])\s*")
NEGATIONS = frozenset("no not never none nobody nothing neither nor without cannot".split())

# cosine similarity of a claim to each of some source texts
Similarity = Callable[[str, Sequence[str]], Sequence[float]]


@dataclass(frozen=True)
class Evidence:
    """What the model was shown of one source: passages of an article body."""

    number: int
    body: str
    passages: tuple[tuple[int, int], ...]  # (start, end) offsets into body, in body order
    context: str = ""  # headline, outlet and date: a claim may name them

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        return [span for s, e in self.passages for span in split_sentences(self.body[s:e], s)]

    @cached_property
    def text(self) -> str:
        return " … ".join(self.body[s:e] for s, e in self.passages)

    @cached_property
    def context_terms(self) -> set[str]:
        return set(content_terms(self.context))

    @cached_property
    def _document_frequency(self) -> dict[str, int]:
        df: dict[str, int] = {}
        for s, e in self.sentences:
            for t in set(content_terms(self.body[s:e])):
                df[t] = df.get(t, 0) + 1
        return df

    def weight(self, term: str) -> float:
        """How much a word counts: words in many of the source's sentences count less, and a
        word the source never uses counts most ("Russia praised the strikes" against an
        article full of Russia and strikes, but no praise)."""
        n = max(len(self.sentences), 1)
        return math.log(1 + n / (1 + self._document_frequency.get(term, 0)))


@dataclass(frozen=True)
class Segment:
    """A clause of an answer sentence and the citations that follow it."""

    text: str
    markers: tuple[int, ...]
    gap: str = " "  # white space before its markers, kept when rendering
    inherited: bool = False  # markers borrowed from the clause before: checked, not printed


@dataclass
class SentenceCheck:
    sentence: str
    segments: list[Segment]
    problem: str | None = None  # None: supported
    supporting: list[tuple[int, ...]] = field(default_factory=list)  # per segment
    evidence: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    dropped: dict[int, str] = field(default_factory=dict)  # citation -> why it was taken off

    @property
    def kept(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class Verified:
    text: str  # the kept sentences, citations renumbered; "" when none survived
    citations: list[tuple[int, int, tuple[int, int]]]  # (new marker, source number, quote span)
    removed: list[str]  # each removed sentence with the reason
    dropped: list[str]  # citations taken off sentences that stayed, each with the reason
    total: int  # sentences in the model's answer

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.dropped)

    def note(self) -> str | None:
        """The one line the user sees when verification changed the answer."""
        if not self.changed:
            return None
        parts = []
        if self.removed:
            reasons = "; ".join(dict.fromkeys(r.rsplit(" — ", 1)[1] for r in self.removed))
            parts.append(
                f"removed {len(self.removed)} of {self.total} sentences of the model's answer: "
                + reasons
            )
        if self.dropped:
            which = "; ".join(dict.fromkeys(d.split(" — ", 1)[0] for d in self.dropped))
            parts.append(f"dropped citations: {which}")
        return "Verification " + "; ".join(parts) + "."


def verify(
    answer: str, sources: Sequence[Evidence], *, similarity: Similarity | None = None
) -> Verified:
    by_number = {s.number: s for s in sources}
    lines = [split_answer(line) for line in answer.strip().splitlines()]
    checks = [[check_sentence(s, by_number, similarity) for s in line] for line in lines]
    flat = [c for line in checks for c in line]
    renumber: dict[int, int] = {}
    for c in flat:
        if c.kept:
            for markers in c.supporting:
                for m in markers:
                    renumber.setdefault(m, len(renumber) + 1)
    out_lines = []
    for line in checks:
        kept = [_render(c, renumber) for c in line if c.kept]
        if kept:
            out_lines.append(" ".join(kept))
    citations = []
    for old, new in renumber.items():
        spans = [span for c in flat if c.kept for span in c.evidence.get(old, [])]
        citations.append((new, old, _quote_span(spans)))
    return Verified(
        text="\n".join(out_lines).strip(),
        citations=citations,
        removed=[f"{c.sentence} — {c.problem}" for c in flat if not c.kept],
        dropped=[
            f"[{m}] {why} — {c.sentence}" for c in flat if c.kept for m, why in c.dropped.items()
        ],
        total=len(flat),
    )


def split_answer(text: str) -> list[tuple[str, list[Segment]]]:
    """Sentences of one line of an answer, each cut into clauses at its citation markers."""
    spans = split_sentences(text)
    sentences = [text[s:e] for s, e in spans]
    # "Claim. [1] Next claim." — a sentence opening with markers hands them back.
    for i in range(1, len(sentences)):
        lead = MARKER_RUN.match(sentences[i])
        if lead and lead.start() == 0:
            sentences[i - 1] += lead.group(0)
            sentences[i] = sentences[i][lead.end() :].strip()
    return [(s, segments(s)) for s in sentences if s.strip()]


def segments(sentence: str) -> list[Segment]:
    found: list[Segment] = []
    pos = 0
    for run in MARKER_RUN.finditer(sentence):
        numbers = tuple(
            int(n) for m in _MARKER.finditer(run.group(0)) for n in re.split(r"[,;]", m.group(1))
        )
        gap = " " if run.group(0)[:1].isspace() else ""
        found.append(Segment(sentence[pos : run.start()], numbers, gap))
        pos = run.end()
    tail = sentence[pos:]
    if content_terms(tail) and found:
        # "X [1] and Y." — an uncited clause after the last marker leans on that marker.
        found.append(Segment(tail, found[-1].markers, "", inherited=True))
    elif tail or not found:
        found.append(Segment(tail, (), ""))
    return found


def check_sentence(
    item: tuple[str, list[Segment]],
    sources: dict[int, Evidence],
    similarity: Similarity | None,
) -> SentenceCheck:
    sentence, segs = item
    check = SentenceCheck(sentence, segs)
    if not any(s.markers for s in segs):
        check.problem = "no citation"
        return check
    for seg in segs:
        if not seg.markers:  # trailing punctuation after the last marker
            check.supporting.append(())
            continue
        unknown = [m for m in seg.markers if m not in sources]
        given = [m for m in dict.fromkeys(seg.markers) if m in sources]
        if not given:
            check.problem = f"cites {_numbers(unknown)}, which is not one of the sources"
            return check
        quote_problem = _quotes_problem(seg.text, [sources[m] for m in given])
        if quote_problem:
            check.problem = quote_problem
            return check
        supported = []
        for m in given:
            span = support(seg.text, sources[m], similarity)
            if span is not None:
                supported.append(m)
                if span != (0, 0):
                    check.evidence.setdefault(m, []).append(span)
        if not supported:
            check.problem = f"not supported by {_numbers(given)}"
            return check
        for m in seg.markers:
            if m not in supported:
                why = "not one of the sources" if m in unknown else "doesn't support it"
                check.dropped.setdefault(m, why)
        check.supporting.append(tuple(supported))
    return check


def support(
    claim: str, source: Evidence, similarity: Similarity | None = None
) -> tuple[int, int] | None:
    """The span of `source` that supports `claim`, or None. (0, 0): nothing to check."""
    claim_terms = set(content_terms(claim))
    if not claim_terms:
        return (0, 0)
    candidates = []  # (overlap, span)
    for start, end in windows(source.sentences):
        window = source.body[start:end]
        terms = set(content_terms(window)) | source.context_terms
        if not _numbers_match(claim_terms, terms) or _negation_conflict(
            claim, f"{window}\n{source.context}"
        ):
            continue
        overlap = weighted_overlap(claim_terms, terms, source.weight)
        candidates.append((overlap, (start, end)))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0], reverse=True)
    if candidates[0][0] >= MIN_OVERLAP:
        return candidates[0][1]
    if similarity is None:
        return None
    near = [c for c in candidates[:5] if c[0] >= MIN_OVERLAP_PARAPHRASE]
    if not near:
        return None
    scores = similarity(claim, [source.body[s:e] for _, (s, e) in near])
    best = max(range(len(near)), key=lambda i: scores[i])
    return near[best][1] if scores[best] >= MIN_SIMILARITY else None


def weighted_overlap(
    claim_terms: set[str], window_terms: set[str], weight: Callable[[str], float]
) -> float:
    """The weighted share of the claim's words that the window contains."""
    total = sum(weight(t) for t in claim_terms)
    return sum(weight(t) for t in claim_terms & window_terms) / total if total else 1.0


def windows(sentences: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each sentence, and each pair of neighbouring sentences (a claim may join two)."""
    out = list(sentences)
    out += [(a[0], b[1]) for a, b in itertools.pairwise(sentences) if b[0] >= a[1]]
    return out


def _numbers_match(claim_terms: set[str], source_terms: set[str]) -> bool:
    return all(t in source_terms for t in claim_terms if any(ch.isdigit() for ch in t))


def negated_terms(text: str) -> tuple[bool, set[str]]:
    """Whether `text` negates anything, and the content words up to three words after a negation."""
    ws = words(text)
    negated: set[str] = set()
    has = False
    for i, w in enumerate(ws):
        if w in NEGATIONS or w.endswith("n't"):
            has = True
            negated |= {stem(x) for x in ws[i + 1 : i + 4] if content_terms(x)}
    return has, negated


def _negation_conflict(claim: str, window: str) -> bool:
    claim_neg, claim_negated = negated_terms(claim)
    window_neg, window_negated = negated_terms(window)
    claim_terms, window_terms = set(content_terms(claim)), set(content_terms(window))
    return bool(
        (window_negated & claim_terms and not claim_neg)
        or (claim_negated & window_terms and not window_neg)
    )


def normalise(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip()


def quotes(text: str) -> list[str]:
    return [next(g for g in groups if g) for groups in _QUOTED.findall(text)]


def quote_found(quote: str, source_text: str) -> bool:
    """The quoted words appear verbatim in the source.

    An ellipsis may skip text, and the first letter's case may differ ("He said “the..." quoting
    "The ...").
    """
    haystack = normalise(source_text)
    pos = 0
    for part in _ELLIPSIS.split(normalise(quote)):
        part = part.strip(" ,.;:")
        if not part:
            continue
        at = -1
        for variant in (part, part[0].swapcase() + part[1:]):
            found = haystack.find(variant, pos)
            if found >= 0 and (at < 0 or found < at):
                at = found
        if at < 0:
            return False
        pos = at + len(part)
    return True


def _quotes_problem(text: str, cited: Sequence[Evidence]) -> str | None:
    for quote in quotes(text):
        if not any(quote_found(quote, s.text) for s in cited):
            short = quote if len(quote) <= 60 else quote[:57] + "..."
            return f"quote “{short}” is not in {_numbers([s.number for s in cited])}"
    return None


def _numbers(ns: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in ns)


def _render(check: SentenceCheck, renumber: dict[int, int]) -> str:
    out = []
    for seg, supported in zip(check.segments, check.supporting, strict=True):
        markers = "" if seg.inherited else "".join(f"[{renumber[m]}]" for m in supported)
        out.append(seg.text + (seg.gap + markers if markers else ""))
    return "".join(out).strip()


def _quote_span(spans: list[tuple[int, int]]) -> tuple[int, int]:
    if not spans:
        return (0, 0)
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return (start, end) if end - start <= MAX_QUOTE_CHARS else spans[0]
