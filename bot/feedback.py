"""Answers given in Slack and the 👍 / 👎 votes on them, in one SQLite file.

Each answer is stored when it is posted (its `--json` object, schema_version 1), so a vote
or a "Share in channel" click can find the question, the answer and its citations later,
also after a restart. One vote per user and answer: voting again replaces the vote.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bot.errors import NewsbotError
from bot.records import Answer
from bot.render import from_json, to_json

FORMAT_VERSION = 1
KEEP_RETRIEVED = 3  # the closest articles a declined answer shows
Vote = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    user TEXT NOT NULL,
    channel TEXT NOT NULL,
    question TEXT NOT NULL,
    answer_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers(id),
    user TEXT NOT NULL,
    channel TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user)
);
CREATE INDEX IF NOT EXISTS votes_by_time ON votes(created_at);
"""


@dataclass(frozen=True)
class Feedback:
    """One vote, with what was asked and answered."""

    time: datetime
    vote: Vote
    user: str
    channel: str
    question: str
    answer: str
    citations: list[dict[str, Any]]
    answer_id: str
    asked_by: str


class FeedbackStore:
    """Thread-safe: bolt runs listeners on a thread pool."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > FORMAT_VERSION:
            self._db.close()
            raise NewsbotError(
                f"{path}: feedback database format {version} is newer than this newsbot "
                f"understands ({FORMAT_VERSION}); upgrade newsbot or set NEWSBOT_FEEDBACK_DB."
            )
        # One script, one transaction: a half-created schema is never left behind.
        self._db.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version={FORMAT_VERSION}; COMMIT;")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def record_answer(self, answer: Answer, *, user: str, channel: str) -> str:
        """Store an answer as it is posted; returns the id its buttons carry.

        Only what a vote or a share needs is kept: the closest articles beyond the three a
        declined answer shows are dropped, and so are the timings.
        """
        answer_id = uuid.uuid4().hex
        record = to_json(answer)
        record["retrieved"] = record["retrieved"][:KEEP_RETRIEVED]
        record["timings"] = {}
        with self._transaction() as db:
            db.execute(
                "INSERT INTO answers (id, created_at, user, channel, question, answer_json)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    _now(),
                    user,
                    channel,
                    answer.question,
                    json.dumps(record, ensure_ascii=False),
                ),
            )
        return answer_id

    def prune(self, older_than_days: float) -> int:
        """Forget answers nobody voted on after this many days; returns how many went."""
        cutoff = datetime.now(UTC).timestamp() - older_than_days * 86400
        cutoff_iso = datetime.fromtimestamp(cutoff, UTC).isoformat(timespec="microseconds")
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM answers WHERE created_at < ?"
                " AND id NOT IN (SELECT answer_id FROM votes)",
                (cutoff_iso,),
            )
        return cursor.rowcount

    def answer(self, answer_id: str) -> Answer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT answer_json FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        return from_json(json.loads(row[0])) if row else None

    def add_vote(self, answer_id: str, *, user: str, channel: str, vote: Vote) -> bool:
        """Store (or change) a user's vote; False when the answer is unknown."""
        with self._transaction() as db:
            if not db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone():
                return False
            db.execute(
                "INSERT INTO votes (answer_id, user, channel, vote, created_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (answer_id, user)"
                " DO UPDATE SET vote = excluded.vote, channel = excluded.channel,"
                " created_at = excluded.created_at",
                (answer_id, user, channel, vote, _now()),
            )
        return True

    def feedback(self, limit: int | None = None) -> list[Feedback]:
        """Votes, newest first."""
        sql = (
            "SELECT v.created_at, v.vote, v.user, v.channel, a.answer_json, a.id, a.user"
            " FROM votes v JOIN answers a ON a.id = v.answer_id"
            " ORDER BY v.created_at DESC, v.rowid DESC"
        )
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        result = []
        for created, vote, user, channel, answer_json, answer_id, asked_by in rows:
            data = json.loads(answer_json)
            result.append(
                Feedback(
                    time=datetime.fromisoformat(created),
                    vote=vote,
                    user=user,
                    channel=channel,
                    question=data["question"],
                    answer=data["answer"],
                    citations=data["citations"],
                    answer_id=answer_id,
                    asked_by=asked_by,
                )
            )
        return result


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# --- export --------------------------------------------------------------------------------

CSV_FIELDS = ["time", "vote", "user", "channel", "asked_by", "question", "answer", "citations"]


def _citation_line(c: dict[str, Any]) -> str:
    parts = [f"[{c['marker']}] {c['headline']}"]
    parts += [x for x in (c.get("attribution"), (c.get("published") or "")[:10], c.get("url")) if x]
    return " — ".join(parts)


def feedback_json(rows: list[Feedback]) -> list[dict[str, Any]]:
    return [
        {
            "time": r.time.isoformat(),
            "vote": r.vote,
            "user": r.user,
            "channel": r.channel,
            "asked_by": r.asked_by,
            "question": r.question,
            "answer": r.answer,
            "citations": r.citations,
            "answer_id": r.answer_id,
        }
        for r in rows
    ]


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a `'` before it."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def feedback_csv(rows: list[Feedback]) -> str:
    """One row per vote; citations joined one per line in their cell.

    Questions, answers and headlines come from users and articles, so every cell is made
    safe to open in a spreadsheet (the JSON export keeps the text as it was).
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for r in rows:
        row = [
            r.time.isoformat(),
            r.vote,
            r.user,
            r.channel,
            r.asked_by,
            r.question,
            r.answer,
            "\n".join(_citation_line(c) for c in r.citations),
        ]
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def feedback_table(rows: list[Feedback], width: int = 60) -> str:
    """What `newsbot feedback list` prints: one line per vote."""
    if not rows:
        return "No feedback yet."
    icon = {"up": "👍", "down": "👎"}
    lines = []
    for r in rows:
        question = r.question if len(r.question) <= width else r.question[: width - 1] + "…"
        lines.append(f"{r.time:%Y-%m-%d %H:%M} {icon[r.vote]} {r.user} in {r.channel}: {question}")
    return "\n".join(lines)
