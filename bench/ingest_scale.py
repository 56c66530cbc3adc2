"""Evidence at scale: ingest a generated archive of 10,000 news-like articles, then
ingest it again unchanged. The unchanged re-ingest must take under 5 % of the first.

    .venv/bin/python bench/ingest_scale.py                 # 10,000 articles, real model
    .venv/bin/python bench/ingest_scale.py --articles 500  # a quick look

The archive mixes the formats newsbot reads (Markdown, plain text, HTML, JSON Lines),
includes wire copies (one story run by several outlets with small edits), and is
generated once (deterministically) into --archive. The first ingest into a fresh index is
the baseline; re-ingests are repeated and their median is compared with it. Times are
in-process `bot.ingest.ingest` calls, the model loaded beforehand.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUTLETS = ["Riverton Gazette", "Riverton Herald", "Valley Times", "Morning Post", "Lakeside Daily"]
PLACES = ["Riverton", "Lakeside", "Elmwood", "Fairview", "Oak Hill", "Millbrook", "Ashford"]
TOPICS = [
    ("council", "budget", "vote", "tax", "road", "park", "library"),
    ("hospital", "clinic", "doctors", "patients", "ward", "nurses", "vaccine"),
    ("school", "teachers", "students", "exam", "district", "board", "campus"),
    ("storm", "flood", "power", "river", "crews", "shelter", "warning"),
    ("police", "court", "judge", "trial", "arrest", "jury", "witness"),
    ("factory", "jobs", "union", "wages", "plant", "strike", "contract"),
]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kemi"]
LAST = ["Price", "Okafor", "Lopez", "Marsh", "Nair", "Brooks", "Reilly", "Chen", "Novak"]
VERBS = ["said", "announced", "warned", "confirmed", "told reporters", "wrote"]


def sentence(rng: random.Random, topic: tuple[str, ...]) -> str:
    who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    n = rng.randint(2, 9000)
    a, b, c = rng.sample(topic, 3)
    place = rng.choice(PLACES)
    day = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])
    forms = [
        f"The {a} in {place} will cost {n} dollars more than planned, {who} {rng.choice(VERBS)}.",
        f"On {day}, {who} said the {b} and the {c} had been discussed for {n % 40 + 2} weeks.",
        f"About {n} residents of {place} signed a petition about the {a} before {day}.",
        f"{who}, who leads the {b} committee, {rng.choice(VERBS)} that the {c} was {n % 12} "
        f"months late.",
        f"Officials expect the {a} to reach {place} by {day}, with {n % 300} {b} involved.",
    ]
    return rng.choice(forms)


def article(rng: random.Random, i: int) -> dict[str, object]:
    topic = rng.choice(TOPICS)
    paragraphs = [
        " ".join(sentence(rng, topic) for _ in range(rng.randint(2, 3)))
        for _ in range(rng.randint(3, 5))
    ]
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return {
        "id": f"gen-{i}",
        "headline": f"{rng.choice(PLACES)} {topic[0]} {rng.choice(topic[1:])} story {i}",
        "body": "\n\n".join(paragraphs),
        "outlet": rng.choice(OUTLETS),
        "byline": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "published": f"2023-{month:02d}-{day:02d}T{rng.randint(6, 22):02d}:00:00-05:00",
        "url": f"https://news.example/{i}",
    }


def wire_copy(rng: random.Random, original: dict[str, object], i: int) -> dict[str, object]:
    """The same agency story in another outlet: new headline, one sentence changed."""
    copy = dict(original)
    paragraphs = str(original["body"]).split("\n\n")
    paragraphs[-1] = sentence(rng, TOPICS[0])
    copy.update(
        id=f"gen-{i}",
        headline=f"{original['headline']} (wire)",
        body="\n\n".join(paragraphs),
        outlet=rng.choice([o for o in OUTLETS if o != original["outlet"]]),
        url=f"https://news.example/{i}",
    )
    return copy


def write_archive(folder: Path, n: int, seed: int = 2018) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    made: list[dict[str, object]] = []
    jsonl: list[str] = []
    for i in range(n):
        a = wire_copy(rng, rng.choice(made), i) if made and rng.random() < 0.02 else article(rng, i)
        made.append(a)
        sub = folder / f"{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        kind = i % 20
        if kind < 8:  # 40 % Markdown with front matter
            meta = "\n".join(f"{k}: {json.dumps(a[k])}" for k in ("outlet", "byline", "url"))
            (sub / f"{i:05d}.md").write_text(
                f"---\ntitle: {json.dumps(a['headline'])}\ndate: {a['published']}\n{meta}\n---\n"
                f"{a['body']}\n",
                encoding="utf-8",
            )
        elif kind < 14:  # 30 % plain text, seed style
            (sub / f"{i:05d}.txt").write_text(
                f"{a['headline']}\nSource: {a['outlet']}\nPublished: {a['published']}\n"
                f"By: {a['byline']}\nURL: {a['url']}\n\n{a['body']}\n",
                encoding="utf-8",
            )
        elif kind < 17:  # 15 % HTML pages
            paras = "".join(f"<p>{p}</p>" for p in str(a["body"]).split("\n\n"))
            (sub / f"{i:05d}.html").write_text(
                f"<html><head><title>{a['headline']}</title>"
                f'<meta property="og:site_name" content="{a["outlet"]}">'
                f'<meta property="article:published_time" content="{a["published"]}">'
                f"</head><body><nav>Home | News</nav><article><h1>{a['headline']}</h1>{paras}"
                f"</article><footer>All rights reserved</footer></body></html>",
                encoding="utf-8",
            )
        else:  # 15 % JSON Lines, 100 articles a file
            jsonl.append(json.dumps(a))
            if len(jsonl) == 100:
                (folder / f"batch-{i:05d}.jsonl").write_text("\n".join(jsonl) + "\n")
                jsonl = []
    if jsonl:
        (folder / "batch-last.jsonl").write_text("\n".join(jsonl) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--archive", type=Path, default=None, help="kept between runs")
    parser.add_argument("--repeats", type=int, default=3, help="unchanged re-ingests")
    parser.add_argument("--encoder", default="minilm")
    args = parser.parse_args()

    from bot.catalog import index_stats
    from bot.embeddings import get_encoder
    from bot.index.embedded import EmbeddedIndex
    from bot.ingest import ingest

    archive = args.archive or Path(tempfile.gettempdir()) / f"newsbot-bench-{args.articles}"
    if not archive.exists():
        started = time.perf_counter()
        write_archive(archive, args.articles)
        print(f"generated {archive} in {time.perf_counter() - started:.1f} s")
    files = sum(1 for p in archive.rglob("*") if p.is_file())
    encoder = get_encoder(args.encoder)
    encoder.encode(["warm up"])  # model load is not part of either figure
    work = Path(tempfile.mkdtemp(prefix="newsbot-bench-index-"))
    try:
        store = EmbeddedIndex.open(
            work, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
        )
        first = ingest([str(archive)], store, encoder)
        if first.failed:
            print("failures:", *first.failed[:5], sep="\n  ")
        rows = [("first ingest (baseline)", first)]
        for r in range(args.repeats):
            rows.append((f"unchanged re-ingest {r + 1}", ingest([str(archive)], store, encoder)))
        median = statistics.median(rep.seconds for _, rep in rows[1:])
        figures = index_stats(store)
        print(
            f"\n{args.articles} articles in {files} files, {figures.chunks} chunks, "
            f"{figures.articles} articles stored ({figures.copies_grouped} wire copies grouped "
            f"into {figures.stories_with_copies} stories), "
            f"index {store.disk_bytes() / 1e6:.0f} MB; encoder {encoder.fingerprint}\n"
        )
        print("| run | seconds | articles/s | added | unchanged | chunks embedded | vs first |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, rep in rows:
            print(
                f"| {name} | {rep.seconds:.2f} | {rep.articles / rep.seconds:,.0f} | "
                f"{rep.added} | {rep.unchanged} | {rep.chunks_embedded} | "
                f"{rep.seconds / first.seconds:.2%} |"
            )
        ratio = median / first.seconds
        verdict = "PASS" if ratio < 0.05 else "FAIL"
        print(
            f"\nmedian unchanged re-ingest: {median:.2f} s = {ratio:.2%} of the first "
            f"({first.seconds:.1f} s); target < 5 %: {verdict}"
        )
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
