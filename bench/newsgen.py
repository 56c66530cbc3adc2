"""Generated news-length articles and questions about them, for the speed benchmarks.

Deterministic (seeded): the same arguments give the same corpus, so an index built once
is reused by later runs. Articles are plain-text files in the seed format, 250-760 words
(8-14 paragraphs of 2-4 sentences, median 500 words), from a few outlets over a year, on
six beats; each comes with a question whose answer is one of its sentences.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from ingest_scale import FIRST, LAST, OUTLETS, PLACES, TOPICS, VERBS

QUOTES = [
    "We have waited long enough for a decision",
    "The numbers do not add up for families here",
    "This is the most serious problem the town has faced in a decade",
    "Nobody should have to choose between rent and medicine",
    "We will keep asking questions until we get answers",
    "The plan was rushed and the public was not consulted",
]


@dataclass(frozen=True)
class NewsItem:
    name: str  # file name
    text: str  # the file's content
    question: str


def _sentence(rng: random.Random, topic: tuple[str, ...], facts: list[str]) -> str:
    who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    n = rng.randint(2, 9000)
    a, b, c = rng.sample(topic, 3)
    place = rng.choice(PLACES)
    day = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])
    forms = [
        (
            f"The {a} in {place} will cost {n} dollars more than planned, "
            f"{who} {rng.choice(VERBS)}.",
            f"How much more than planned will the {a} in {place} cost?",
        ),
        (
            f"On {day}, {who} said the {b} and the {c} had been discussed for {n % 40 + 2} weeks.",
            f"How long had the {b} and the {c} been discussed, according to {who}?",
        ),
        (
            f"About {n} residents of {place} signed a petition about the {a} before {day}.",
            f"How many residents of {place} signed the petition about the {a}?",
        ),
        (
            f"{who}, who leads the {b} committee, {rng.choice(VERBS)} that the {c} was "
            f"{n % 12 + 1} months late.",
            f"Who leads the {b} committee?",
        ),
        (
            f"Officials expect the {a} to reach {place} by {day}, with {n % 300} {b} involved.",
            f"When do officials expect the {a} to reach {place}?",
        ),
        (
            f'"{rng.choice(QUOTES)}," said {who}, a {b} spokesperson in {place}.',
            f"What did the {b} spokesperson in {place} say?",
        ),
        (
            f"Last year the {c} in {place} received {n % 90 + 5} complaints, up from "
            f"{n % 40 + 1} the year before.",
            f"How many complaints did the {c} in {place} receive last year?",
        ),
        (
            f"The {b} voted {n % 9 + 1} to {n % 5} to delay the {a} until the spring.",
            f"How did the {b} vote on delaying the {a}?",
        ),
    ]
    text, question = rng.choice(forms)
    facts.append(question)
    return text


def news_item(rng: random.Random, i: int) -> NewsItem:
    topic = rng.choice(TOPICS)
    facts: list[str] = []
    paragraphs = [
        " ".join(_sentence(rng, topic, facts) for _ in range(rng.randint(2, 4)))
        for _ in range(rng.randint(8, 14))
    ]
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    headline = f"{rng.choice(PLACES)} {topic[0]}: {rng.choice(topic[1:])} in question ({i})"
    text = (
        f"{headline}\nSource: {rng.choice(OUTLETS)}\n"
        f"Published: 2023-{month:02d}-{day:02d}T{rng.randint(6, 22):02d}:00:00-05:00\n"
        f"By: {rng.choice(FIRST)} {rng.choice(LAST)}\n\n" + "\n\n".join(paragraphs) + "\n"
    )
    return NewsItem(f"{i:05d}.txt", text, rng.choice(facts))


def news_items(n: int, seed: int = 7) -> list[NewsItem]:
    rng = random.Random(seed)
    return [news_item(rng, i) for i in range(n)]


def write_corpus(folder: Path, n: int, seed: int = 7) -> list[str]:
    """Write n articles into `folder` (once; kept between runs); returns their questions."""
    items = news_items(n, seed)
    done = folder.with_name(folder.name + ".complete")  # outside: it would be ingested
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for item in items:
            (folder / item.name).write_text(item.text, encoding="utf-8")
        done.write_text(f"{n} {seed}\n")
    return [item.question for item in items]


def corpus_index(n: int, encoder_name: str = "minilm", root: Path | None = None) -> Path:
    """A newsbot index of the n-article generated corpus, built once and kept (in the
    temporary directory unless `root`); returns the index directory."""
    import tempfile

    from bot.embeddings import get_encoder
    from bot.index.embedded import EmbeddedIndex
    from bot.ingest import ingest

    base = root or Path(tempfile.gettempdir()) / "newsbot-bench"
    corpus = base / f"news-{n}"
    write_corpus(corpus, n)
    index = base / f"index-{n}-{encoder_name}"
    done = index.with_name(index.name + ".complete")
    if not done.exists():
        encoder = get_encoder(encoder_name)
        store = EmbeddedIndex.open(
            index, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
        )
        report = ingest([str(corpus)], store, encoder)
        store.close()
        done.write_text(f"{report.added} articles, {report.chunks_embedded} chunks\n")
    return index
