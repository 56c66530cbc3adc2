"""The Slack front: a bolt app that answers mentions, direct messages and `/ask`.

Each handler reads the same way: parse the event, call `ask`, render, post. Every request is
acknowledged at once on bolt's listener pool; the answering runs on a pool of its own, so
slow answers never hold back an acknowledgement. slack_bolt and slack_sdk are imported inside
functions, so `newsbot --help` stays light.

    app = create_app(ask_fn, client=make_client(settings), settings=settings, feedback=store)
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.errors import ConfigError
from bot.feedback import FeedbackStore, Vote
from bot.index import FeedbackRecords
from bot.messages import slack_failure
from bot.records import Answer, Timeline, Turn
from bot.slack_render import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    SHARE,
    SlackMessage,
    answer_messages,
    notice,
    shown_question,
    unescape,
    warning,
)

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from slack_bolt import Ack, App, BoltContext, BoltRequest
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient
    from slack_sdk.http_retry import RetryHandler
    from slack_sdk.webhook import WebhookClient, WebhookResponse

log = logging.getLogger(__name__)

AskFn = Callable[[str, Sequence[Turn]], Answer]
TimelineFn = Callable[[str], Timeline]  # topic -> the story so far
Webhook = Callable[[str], "WebhookClient"]  # response_url -> a client that posts to it

EVENTS_PATH = "/slack/events"
MAX_TURNS = 5  # earlier exchanges passed to ask() as conversation history
DM_HISTORY_SECONDS = 30 * 60  # top-level DMs: earlier messages this recent are the conversation
THREAD_PAGE = 200  # conversations.replies messages per call
THREAD_PAGES = 10  # at most this many calls per question (2,000 replies)
WORKING_REACTION = "eyes"
LISTENER_THREADS = 32  # bolt's pool: acks and button clicks, all quick
ANSWER_THREADS = 8  # questions answered at once; more wait their turn in a queue
KEEP_UNVOTED_DAYS = 90  # answers nobody voted on are forgotten after this (buttons then say so)

# What users read, kept together.
HELP = (
    "Ask me about the paper's articles: mention me with a question, send me a direct "
    "message, or use /ask QUESTION. I answer with sentences quoted from the articles "
    "and their sources. For the story so far, start with timeline: (timeline: Riverton "
    "transit strike)."
)
USAGE = "Usage: /ask QUESTION, for example /ask Who is the coalition spokesman?"
SEARCHING = "Searching the articles for: {question}"
NOT_ENABLED_USER = "Sorry, newsbot isn't enabled for your account here. Ask your Slack admin."
NOT_ENABLED_CHANNEL = "Sorry, newsbot isn't enabled in this channel."
NOT_ENABLED_CHANNEL_DM = NOT_ENABLED_CHANNEL + " You can ask me in a direct message."
NOT_ENABLED_DM = "Sorry, newsbot doesn't answer direct messages here."
VOTE_THANKS = {"up": "Thanks! Your 👍 is recorded.", "down": "Thanks! Your 👎 is recorded."}
NO_BOT_TOKEN = (
    "SLACK_BOT_TOKEN is not set: copy the xoxb- Bot User OAuth Token from your Slack "
    "app's OAuth & Permissions page (see docs/slack.md)."
)
ANSWER_GONE = (
    "That answer is no longer in newsbot's records, so it can't be {what}. Please ask again."
)
SHARE_NOT_MEMBER = (
    "I couldn't share the answer in this channel: newsbot isn't in it. Invite it with "
    "/invite @newsbot, then click Share in channel again."
)
SHARE_FAILED = (
    "I couldn't share the answer in this channel (Slack said: {error}). Your copy is "
    "still here; try Share in channel again."
)
# Slack's answer when the bot may not post in a channel (private, or it was never invited).
NOT_A_MEMBER = frozenset({"channel_not_found", "not_in_channel"})


# --- settings -> parts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """Who may ask where. Empty sets mean everyone / every channel."""

    channels: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    dms: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        return cls(
            frozenset(settings.slack_allowed_channels),
            frozenset(settings.slack_allowed_users),
            settings.slack_dms,
        )

    def refusal(self, user: str, channel: str, *, dm: bool) -> str | None:
        """The polite reply when the bot isn't enabled for this user or place; None if it is."""
        if self.users and user not in self.users:
            return NOT_ENABLED_USER
        if dm:
            return None if self.dms else NOT_ENABLED_DM
        if self.channels and channel not in self.channels:
            return NOT_ENABLED_CHANNEL_DM if self.dms else NOT_ENABLED_CHANNEL
        return None


def _retry_handlers() -> list[RetryHandler]:
    """Retry connection errors, and 429s after their Retry-After (three times at most)."""
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
    )

    return [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=3)]


def make_client(settings: Settings) -> WebClient:
    """The Web API client: Slack (or NEWSBOT_SLACK_API_URL), retrying 429s after Retry-After."""
    from slack_sdk import WebClient

    if settings.slack_bot_token is None:
        raise ConfigError(NO_BOT_TOKEN)
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=_retry_handlers(),
    )


def make_webhook(response_url: str) -> WebhookClient:
    """A client for one response URL that retries 429s like the Web API client.

    bolt's own `respond` builds a WebhookClient that retries connection errors only, so a
    rate-limited /ask answer or share would be lost.
    """
    from slack_sdk.webhook import WebhookClient

    return WebhookClient(response_url, retry_handlers=_retry_handlers())


# --- small parts with state ----------------------------------------------------------------


class SeenEvents:
    """Event keys seen recently, so a redelivered event is answered once."""

    def __init__(
        self,
        ttl: float = 3600.0,
        max_size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, keys: Iterable[str]) -> bool:
        """Record the keys; False if any of them was seen within the TTL."""
        now = self._clock()
        keys = list(keys)
        with self._lock:
            while self._seen and (
                len(self._seen) > self.max_size or next(iter(self._seen.values())) < now - self.ttl
            ):
                self._seen.popitem(last=False)
            repeated = any(k in self._seen for k in keys)
            for k in keys:
                self._seen[k] = now
                self._seen.move_to_end(k)
            return not repeated


class ChannelPacer:
    """At most one new message per `interval` seconds per channel (Slack's posting limit)."""

    def __init__(
        self,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        with self._lock:  # reserve a slot, then sleep outside the lock
            now = self._clock()
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


# --- reading Slack text --------------------------------------------------------------------

_ANGLE = re.compile(r"<([^<>]*)>")


def question_text(text: str, bot_user_id: str | None) -> str:
    """A message as the user meant it: the bot's mention removed, Slack markup made plain."""

    def plain(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            if bot_user_id and target[1:] == bot_user_id:
                return " "
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):  # <!here>, <!subteam^ID|@team>, <!date^...|fallback>
            return label or "@" + target[1:].split("^")[0]
        return label or target  # a link: what the user typed

    return " ".join(unescape(_ANGLE.sub(plain, text)).split())


def mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and (f"<@{bot_user_id}>" in text or f"<@{bot_user_id}|" in text)


def _is_ours(message: Mapping[str, Any], bot_user_id: str | None, bot_id: str | None) -> bool:
    return bool(
        (bot_user_id and message.get("user") == bot_user_id)
        or (bot_id and message.get("bot_id") == bot_id)
    )


def conversation_turns(
    messages: Iterable[Mapping[str, Any]],
    *,
    before_ts: str,
    bot_user_id: str | None,
    bot_id: str | None,
    dm: bool,
) -> list[Turn]:
    """Earlier questions and newsbot's answers in a thread (or DM), oldest first.

    In channels only messages that mention the bot are questions; in DMs every user message is.
    An answer split over several messages contributes its first part. A shared /ask answer
    (which starts its thread) carries its question in its blocks.
    """
    turns: list[Turn] = []
    pending: str | None = None
    for message in messages:
        if float(message.get("ts", "0")) >= float(before_ts):
            continue
        text = message.get("text", "")
        if _is_ours(message, bot_user_id, bot_id):
            question = pending or shown_question(message.get("blocks") or [])
            if question and not text.startswith(":warning:"):
                turns.append(Turn(question, unescape(text)))
            pending = None
        elif message.get("bot_id") or message.get("subtype"):
            continue
        elif dm or mentions(text, bot_user_id):
            pending = question_text(text, bot_user_id) or None
    return turns


@dataclass(frozen=True)
class Me:
    """The bot's own IDs (from bolt's context), to tell its messages from users'."""

    user_id: str | None
    bot_id: str | None

    @classmethod
    def of(cls, context: BoltContext) -> Me:
        return cls(context.bot_user_id, context.bot_id)


@dataclass(frozen=True)
class Asked:
    """A question as it arrived: who, where, and where the answer goes."""

    text: str
    user: str
    channel: str
    ts: str
    reply_ts: str | None  # thread to answer in; None: top level of a DM
    thread_ts: str | None  # the thread the question was asked in, if any
    dm: bool


def _from_a_bot(event: Mapping[str, Any]) -> bool:
    return bool(event.get("bot_id") or event.get("subtype") == "bot_message")


# --- the front -----------------------------------------------------------------------------


class SlackFront:
    """The listeners. Registered on a bolt App by `create_app`."""

    def __init__(
        self,
        ask_fn: AskFn,
        client: WebClient,
        feedback: FeedbackRecords,
        access: Access,
        pacer: ChannelPacer,
        answers: Executor,
        webhook: Webhook = make_webhook,
        timeline_fn: TimelineFn | None = None,
    ) -> None:
        self.ask_fn = ask_fn
        self.timeline_fn = timeline_fn
        self.client = client
        self.feedback = feedback
        self.access = access
        self.pacer = pacer
        self.answers = answers
        self.webhook = webhook
        self.seen = SeenEvents()

    def register(self, app: App) -> None:
        """Events are acked by bolt before their listener runs; /ask by `acknowledge_command`.

        The listeners only queue the answering on `answers`: bolt runs acks on its listener
        pool, and answers there could fill it and leave a request unacked after 3 seconds.
        Button clicks are quick (a vote, a post) and stay on bolt's pool as lazy listeners.
        """
        app.middleware(self.deduplicate)
        app.event("app_mention")(self.queue_mention)
        app.event("message")(self.queue_direct_message)
        app.command("/ask")(self.acknowledge_command)
        for action_id in (FEEDBACK_UP, FEEDBACK_DOWN):
            app.action(action_id)(ack=_acknowledge, lazy=[self.record_vote])
        app.action(SHARE)(ack=_acknowledge, lazy=[self.share_answer])

    def _queue(self, work: Callable[..., None], *args: Any) -> None:
        """Run `work` on the answer pool; a crash there is logged, never lost."""
        self.answers.submit(work, *args).add_done_callback(_log_crash)

    # -- redeliveries

    def deduplicate(
        self, body: dict[str, Any], request: BoltRequest, next: Callable[[], Any]
    ) -> Any:
        """Acknowledge and drop an event already received (Slack retries; socket redelivery)."""
        from slack_bolt import BoltResponse

        if body.get("type") == "event_callback":
            event = body.get("event") or {}
            keys = [f"event:{body['event_id']}"] if body.get("event_id") else []
            if event.get("type") == "app_mention" or event.get("channel_type") == "im":
                keys.append(f"message:{event.get('channel')}:{event.get('ts')}")
            if keys and not self.seen.first_time(keys):
                retry = request.headers.get("x-slack-retry-num", ["?"])[0]
                log.info("dropped a redelivered event %s (retry %s)", body.get("event_id"), retry)
                return BoltResponse(status=200, body="")
        return next()

    # -- mentions and DMs

    def queue_mention(self, event: dict[str, Any], context: BoltContext) -> None:
        if _from_a_bot(event):
            return
        thread_ts = event.get("thread_ts")
        dm = event.get("channel_type") == "im" or event["channel"].startswith("D")
        self._queue(
            self._answer,
            Asked(
                text=question_text(event.get("text", ""), context.bot_user_id),
                user=event.get("user", ""),
                channel=event["channel"],
                ts=event["ts"],
                # in a channel the answer goes in the message's thread; a DM is answered in place
                reply_ts=thread_ts if dm else thread_ts or event["ts"],
                thread_ts=thread_ts,
                dm=dm,
            ),
            Me.of(context),
        )

    def queue_direct_message(self, event: dict[str, Any], context: BoltContext) -> None:
        # Plain user messages in a DM only: no edits, joins, bot posts, or channel chatter.
        if event.get("channel_type") != "im" or event.get("subtype") or _from_a_bot(event):
            return
        thread_ts = event.get("thread_ts")
        self._queue(
            self._answer,
            Asked(
                text=question_text(event.get("text", ""), context.bot_user_id),
                user=event.get("user", ""),
                channel=event["channel"],
                ts=event["ts"],
                reply_ts=thread_ts,
                thread_ts=thread_ts,
                dm=True,
            ),
            Me.of(context),
        )

    def _answer(self, asked: Asked, me: Me) -> None:
        refusal = self.access.refusal(asked.user, asked.channel, dm=asked.dm)
        if refusal:
            log.info("refused %s in %s: not enabled", asked.user, asked.channel)
            self._refuse(asked, refusal)
            return
        if not asked.text:
            self._post(asked.channel, notice(HELP), asked.reply_ts)
            return
        self._react("reactions_add", asked)
        try:
            started = time.perf_counter()
            history = self._history(asked, me)
            answer = self._reply(asked.text, history)
            answer_id = self.feedback.record_answer(answer, user=asked.user, channel=asked.channel)
            for message in answer_messages(answer, answer_id=answer_id):
                self._post(asked.channel, message, asked.reply_ts)
            log.info(
                "answered %s in %s: %d citations, %d earlier turns, %.0f ms",
                asked.user,
                asked.channel,
                len(answer.citations),
                len(history),
                (time.perf_counter() - started) * 1000,
            )
        except Exception as exc:
            self._post_failure(asked.channel, asked.reply_ts, exc)
        finally:
            self._react("reactions_remove", asked)

    def _reply(self, text: str, history: Sequence[Turn]) -> Answer:
        """The answer to a question, or for "timeline: TOPIC" the story so far (in an
        answer's shape, so votes and "Share in channel" work the same)."""
        from bot.timeline import as_answer, timeline_topic

        topic = timeline_topic(text)
        if topic is not None and self.timeline_fn is not None:
            return as_answer(self.timeline_fn(topic))
        return self.ask_fn(text, history)

    def _refuse(self, asked: Asked, text: str) -> None:
        message = notice(text)
        try:
            if asked.dm:
                self._post(asked.channel, message, asked.reply_ts)
            else:  # only the asker sees it; the channel isn't disturbed
                self.client.chat_postEphemeral(
                    channel=asked.channel,
                    user=asked.user,
                    text=message.text,
                    blocks=message.blocks,
                    thread_ts=asked.thread_ts,
                )
        except Exception:
            log.exception(
                "could not tell %s that newsbot isn't enabled in %s", asked.user, asked.channel
            )

    def _history(self, asked: Asked, me: Me) -> list[Turn]:
        """Earlier exchanges of the thread (or of a recent DM conversation)."""
        from slack_sdk.errors import SlackApiError

        try:
            if asked.thread_ts:
                messages = self._thread(asked.channel, asked.thread_ts, before_ts=asked.ts)
            elif asked.dm:
                response = self.client.conversations_history(
                    channel=asked.channel,
                    limit=20,
                    oldest=f"{time.time() - DM_HISTORY_SECONDS:.6f}",
                )
                messages = list(reversed(response.get("messages") or []))
            else:
                return []
        except SlackApiError as exc:  # answer without history rather than not at all
            log.warning(
                "could not read the conversation in %s (%s); answering without history",
                asked.channel,
                exc.response.get("error"),
            )
            return []
        turns = conversation_turns(
            messages,
            before_ts=asked.ts,
            bot_user_id=me.user_id,
            bot_id=me.bot_id,
            dm=asked.dm,
        )
        return turns[-MAX_TURNS:]

    def _thread(self, channel: str, thread_ts: str, *, before_ts: str) -> list[dict[str, Any]]:
        """A thread's messages up to the question, oldest first, page by page (none if huge).

        Slack returns a thread from its start, so a long thread's latest turns (the ones
        that matter) are only on its last pages.
        """
        messages: list[dict[str, Any]] = []
        cursor = None
        for _ in range(THREAD_PAGES):
            response = self.client.conversations_replies(
                channel=channel, ts=thread_ts, limit=THREAD_PAGE, cursor=cursor
            )
            messages += response.get("messages") or []
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            reached = messages and float(messages[-1].get("ts", "0")) >= float(before_ts)
            if not cursor or reached:
                return messages
        # Its latest turns are further on still: its oldest ones would be the wrong context.
        log.warning(
            "thread %s in %s is over %d messages; answering without history",
            thread_ts,
            channel,
            len(messages),
        )
        return []

    # -- /ask

    def acknowledge_command(self, ack: Ack, command: dict[str, Any]) -> None:
        refusal = self._command_refusal(command)
        question = command.get("text", "").strip()
        if refusal:
            reply = notice(refusal)
        elif not question:
            reply = notice(USAGE)
        else:
            reply = notice(SEARCHING.format(question=question))
        ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
        if question and not refusal:
            self._queue(self.answer_command, command)

    def answer_command(self, command: dict[str, Any]) -> None:
        question = command.get("text", "").strip()
        channel = command.get("channel_id", "")
        url = command.get("response_url", "")
        try:
            answer = self._reply(question_text(question, None), ())
            answer_id = self.feedback.record_answer(
                answer, user=command.get("user_id", ""), channel=channel
            )
            messages = answer_messages(answer, answer_id=answer_id, share=True, show_question=True)
            self._replace(url, channel, messages[0])
            for message in messages[1:]:
                self._respond(url, channel, message)
        except Exception as exc:
            self._replace(url, channel, self._failure(exc))

    def _command_refusal(self, command: Mapping[str, Any]) -> str | None:
        channel = command.get("channel_id", "")
        dm = channel.startswith("D") or command.get("channel_name") == "directmessage"
        return self.access.refusal(command.get("user_id", ""), channel, dm=dm)

    # -- buttons

    def record_vote(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        vote: Vote = "up" if action["action_id"] == FEEDBACK_UP else "down"
        user = body.get("user", {}).get("id", "")
        channel = _action_channel(body)
        try:
            stored = self.feedback.add_vote(action["value"], user=user, channel=channel, vote=vote)
            reply = (
                notice(VOTE_THANKS[vote]) if stored else warning(ANSWER_GONE.format(what="rated"))
            )
            log.info("feedback %s from %s in %s (stored: %s)", vote, user, channel, stored)
        except Exception as exc:
            reply = self._failure(exc)
        self._respond(body.get("response_url", ""), channel, reply)

    def share_answer(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        user = body.get("user", {}).get("id", "")
        channel = _action_channel(body)
        url = body.get("response_url", "")
        try:
            answer = self.feedback.answer(action["value"])
            if answer is None:
                self._respond(url, channel, warning(ANSWER_GONE.format(what="shared")))
                return
            for message in answer_messages(answer, answer_id=action["value"], asked_by=user):
                error = self._respond(url, channel, message, response_type="in_channel")
                if error:  # keep the ephemeral copy: it is the only one the user has
                    text = SHARE_NOT_MEMBER if error in NOT_A_MEMBER else SHARE_FAILED
                    self._respond(url, channel, warning(text.format(error=error)))
                    return
            self._delete_original(url)  # shared: the ephemeral copy is no longer needed
        except Exception as exc:
            self._respond(url, channel, self._failure(exc))

    # -- posting

    def _post(self, channel: str, message: SlackMessage, thread_ts: str | None) -> None:
        self.pacer.wait(channel)
        self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=message.text,
            blocks=message.blocks,
            # Our text is escaped mrkdwn: no name linking, no unfurling of article links.
            parse="none",
            link_names=False,
            unfurl_links=False,
            unfurl_media=False,
        )

    def _respond(
        self,
        url: str,
        channel: str,
        message: SlackMessage,
        response_type: str = "ephemeral",
        *,
        replace_original: bool = False,
    ) -> str | None:
        """Reply through the response URL; returns Slack's error code, None once posted."""
        self.pacer.wait(channel)
        try:
            response = self.webhook(url).send(
                text=message.text,
                blocks=message.blocks,
                response_type=response_type,
                replace_original=replace_original,
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            log.error("response_url post failed in %s: %s", channel, _api_error(exc))
            return type(exc).__name__
        if response.status_code == 200:
            return None
        error = _webhook_error(response)
        log.error(
            "response_url post failed in %s: HTTP %s %s", channel, response.status_code, error
        )
        return error

    def _replace(self, url: str, channel: str, message: SlackMessage) -> None:
        """Put `message` in place of the /ask "Searching the articles for: …" note.

        Should Slack refuse to replace it, the message comes after it instead: the answer
        matters more than the tidy-up.
        """
        if self._respond(url, channel, message, replace_original=True):
            self._respond(url, channel, message)

    def _delete_original(self, url: str) -> None:
        response = self.webhook(url).send(delete_original=True)
        if response.status_code != 200:
            log.warning("could not remove the ephemeral answer: HTTP %s", response.status_code)

    def _react(self, method: str, asked: Asked) -> None:
        """The work-started signal. Failing to react must not stop the answer."""
        try:
            getattr(self.client, method)(
                channel=asked.channel, timestamp=asked.ts, name=WORKING_REACTION
            )
        except Exception as exc:
            log.warning("%s failed in %s: %s", method, asked.channel, _api_error(exc))

    def _failure(self, exc: Exception) -> SlackMessage:
        failure = slack_failure(exc)
        if failure.usage:  # how to ask, not a failure
            return notice(failure.text)
        if failure.ref is None:
            log.warning("could not answer: %s", exc)
        else:
            log.error(
                "answering failed (reference %s): %s", failure.ref, _api_error(exc), exc_info=exc
            )
        return warning(failure.text)

    def _post_failure(self, channel: str, thread_ts: str | None, exc: Exception) -> None:
        try:
            self._post(channel, self._failure(exc), thread_ts)
        except Exception:
            log.exception("could not post the error message in %s", channel)


def _acknowledge(ack: Ack) -> None:
    ack()


def _log_crash(future: Future[None]) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("answering crashed: %s", _api_error(exc), exc_info=exc)


def _action_channel(body: Mapping[str, Any]) -> str:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )


def _webhook_error(response: WebhookResponse) -> str:
    """The error code of a refused response_url post (Slack answers it as plain text)."""
    return (response.body or "").strip()[:100] or f"HTTP {response.status_code}"


def _api_error(exc: BaseException) -> str:
    """A one-line description; Slack API errors by their error code (never the request)."""
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get") and response.get("error"):
        return f"{type(exc).__name__}: {response.get('error')}"
    return f"{type(exc).__name__}: {exc}"


# --- app and runners -----------------------------------------------------------------------


def create_app(
    ask_fn: AskFn,
    *,
    client: WebClient,
    settings: Settings,
    feedback: FeedbackRecords,
    post_interval: float = 1.0,
    answer_threads: int = ANSWER_THREADS,
    timeline_fn: TimelineFn | None = None,
    pacer: ChannelPacer | None = None,
) -> App:
    """The bolt app. Calls auth.test once (bolt's token check) to learn the bot's own IDs.

    Posts in a channel are paced `post_interval` seconds apart, or by `pacer` when given.
    """
    from slack_bolt import App
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    secret = settings.slack_signing_secret
    try:
        app = App(
            name="newsbot",
            client=client,
            # Without a secret (Socket Mode) a random one makes any HTTP request fail the check.
            signing_secret=secret.get_secret_value() if secret else secrets.token_hex(32),
            process_before_response=False,
            # bolt runs ack functions (/ask, buttons) on this pool, 5 threads by default;
            # answers run on their own pool (SlackFront.register), so acks never wait for them.
            listener_executor=ThreadPoolExecutor(LISTENER_THREADS, "newsbot-slack"),
        )
    except (SlackApiError, BoltError) as exc:
        raise ConfigError(
            f"Slack refused the bot token ({_api_error(exc)}); check SLACK_BOT_TOKEN"
            f" and NEWSBOT_SLACK_API_URL ({settings.slack_api_url})."
        ) from None
    SlackFront(
        ask_fn,
        client,
        feedback,
        Access.from_settings(settings),
        pacer or ChannelPacer(post_interval),
        answers=ThreadPoolExecutor(answer_threads, "newsbot-answer"),
        timeline_fn=timeline_fn,
    ).register(app)
    return app


def serve_http(app: App, *, host: str = "0.0.0.0", port: int = 3000) -> WSGIServer:
    """An Events API endpoint at EVENTS_PATH (events, /ask and buttons), one thread per request.

    Returns the bound server; call `serve_forever()` on it. Put it behind an HTTPS proxy.
    """
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from slack_bolt.adapter.wsgi import SlackRequestHandler

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Handler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http: " + format, *args)

    return make_server(host, port, SlackRequestHandler(app, path=EVENTS_PATH), Server, Handler)


def socket_mode_handler(app: App, app_token: str) -> SocketModeHandler:
    """Socket Mode over the built-in WebSocket client (no extra dependency)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token=app_token)


def check_settings(settings: Settings, *, http: bool) -> None:
    """Fail early, before the model loads, when a token or secret the mode needs is missing."""
    if settings.slack_bot_token is None:
        raise ConfigError(NO_BOT_TOKEN)
    if http and settings.slack_signing_secret is None:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: --http needs the Signing Secret from your Slack "
            "app's Basic Information page."
        )
    if not http and settings.slack_app_token is None:
        raise ConfigError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an xapp- app-level token with "
            "connections:write (Basic Information > App-Level Tokens), or run with --http."
        )


def run(
    settings: Settings,
    ask_fn: AskFn,
    *,
    http: bool,
    host: str = "0.0.0.0",
    port: int = 3000,
    announce: Callable[[str], None] = log.info,
    feedback_records: FeedbackRecords | None = None,
    timeline_fn: TimelineFn | None = None,
) -> None:
    """`newsbot slack`: build the app and serve until interrupted (Ctrl-C or SIGTERM).
    Answers and votes go to `feedback_records` (the index's), else the feedback file."""
    import signal

    check_settings(settings, http=http)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # docker stop: close the connection cleanly
    client = make_client(settings)
    records = feedback_records or FeedbackStore(settings.feedback_path)
    with records as feedback:
        pruned = feedback.prune(older_than_days=KEEP_UNVOTED_DAYS)
        log.info("feedback: %s (forgot %d unvoted answers)", settings.feedback_path, pruned)
        app = create_app(
            ask_fn, client=client, settings=settings, feedback=feedback, timeline_fn=timeline_fn
        )
        if http:
            server = serve_http(app, host=host, port=port)
            announce(f"newsbot is listening for Slack on http://{host}:{port}{EVENTS_PATH}")
            try:
                server.serve_forever()
            finally:
                server.server_close()
        else:
            assert settings.slack_app_token is not None
            handler = socket_mode_handler(app, settings.slack_app_token.get_secret_value())
            handler.connect()
            announce("newsbot is connected to Slack (Socket Mode)")
            try:
                threading.Event().wait()
            finally:
                handler.close()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)
