"""Slack answers and votes in the PostgreSQL index's database, so that every Slack
replica records and finds them (the embedded index keeps them in feedback.sqlite,
bot/feedback.py; both pass the same tests)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.feedback import KEEP_RETRIEVED, Feedback, Vote
from bot.records import Answer
from bot.render import from_json, to_json

if TYPE_CHECKING:
    from bot.index.postgres import PostgresIndex


class PostgresFeedback:
    """Thread-safe: each call takes a pooled connection of the primary."""

    def __init__(self, index: PostgresIndex) -> None:
        self.index = index

    def close(self) -> None:
        """Connections belong to the index's pool."""

    def __enter__(self) -> PostgresFeedback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, sql: str, params: Any = ()) -> list[tuple]:
        def work(conn: Any) -> list[tuple]:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else [(cur.rowcount,)]

        return self.index._retrying(self.index._write_pool, self.index.url, work)

    def record_answer(self, answer: Answer, *, user: str, channel: str) -> str:
        answer_id = uuid.uuid4().hex
        record = to_json(answer)
        record["retrieved"] = record["retrieved"][:KEEP_RETRIEVED]
        record["timings"] = {}
        self._run(
            'INSERT INTO feedback_answers (id, "user", channel, question, answer_json) '
            "VALUES (%s, %s, %s, %s, %s::jsonb)",
            (answer_id, user, channel, answer.question, json.dumps(record, ensure_ascii=False)),
        )
        return answer_id

    def prune(self, older_than_days: float) -> int:
        cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
        rows = self._run(
            "DELETE FROM feedback_answers a WHERE created_at < %s AND NOT EXISTS "
            "(SELECT 1 FROM feedback_votes v WHERE v.answer_id = a.id)",
            (cutoff,),
        )
        return int(rows[0][0])

    def answer(self, answer_id: str) -> Answer | None:
        rows = self._run("SELECT answer_json FROM feedback_answers WHERE id = %s", (answer_id,))
        return from_json(rows[0][0]) if rows else None

    def add_vote(self, answer_id: str, *, user: str, channel: str, vote: Vote) -> bool:
        rows = self._run(
            'INSERT INTO feedback_votes (answer_id, "user", channel, vote) '
            "SELECT id, %s, %s, %s FROM feedback_answers WHERE id = %s "
            'ON CONFLICT (answer_id, "user") DO UPDATE SET vote = excluded.vote, '
            "channel = excluded.channel, created_at = clock_timestamp() RETURNING 1",
            (user, channel, vote, answer_id),
        )
        return bool(rows)

    def feedback(self, limit: int | None = None) -> list[Feedback]:
        rows = self._run(
            'SELECT v.created_at, v.vote, v."user", v.channel, a.answer_json, a.id, a."user" '
            "FROM feedback_votes v JOIN feedback_answers a ON a.id = v.answer_id "
            "ORDER BY v.created_at DESC, v.seq DESC LIMIT %s",
            (limit,),
        )
        return [
            Feedback(
                time=created,
                vote=vote,
                user=user,
                channel=channel,
                question=data["question"],
                answer=data["answer"],
                citations=data["citations"],
                answer_id=answer_id,
                asked_by=asked_by,
            )
            for created, vote, user, channel, data, answer_id, asked_by in rows
        ]
