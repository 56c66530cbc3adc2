"""A fake Slack on 127.0.0.1: the Web API and response URLs over HTTP, Socket Mode over a WebSocket.

It records every call (method, arguments, token, time), keeps the messages the bot posts so
`conversations.replies` / `.history` return them, answers 429 with Retry-After on request, and
rejects messages that break Block Kit's limits the way Slack does (`ok: false`).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.sync.server import Server, ServerConnection, serve

BOT_TOKEN = "xoxb-fake-bot-token-5f2a"
APP_TOKEN = "xapp-fake-app-token-9c1d"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0NEWS"

# Slack's documented limits, enforced like Slack does (the message is refused).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_TEXT = 40_000
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_TEXT = 75


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    error: str | None = None


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    at: float


def block_errors(args: dict[str, Any]) -> str | None:
    """Slack's error code for a message that breaks the limits, else None."""
    text = args.get("text") or ""
    if len(text) > MAX_TEXT:
        return "msg_too_long"
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return None if text else "no_text"
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    total = 0
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            body = block["text"]["text"]
            if not body or len(body) > MAX_SECTION_TEXT:
                return "invalid_blocks"
            total += len(body)
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
                return "invalid_blocks"
            for e in elements:
                if len(e.get("text", "")) > MAX_SECTION_TEXT:
                    return "invalid_blocks"
                total += len(e.get("text", ""))
        elif kind == "actions":
            for e in block.get("elements", []):
                if len(e.get("value", "")) > MAX_BUTTON_VALUE:
                    return "invalid_blocks"
                if len(e["text"]["text"]) > MAX_BUTTON_TEXT:
                    return "invalid_blocks"
        else:
            return "invalid_blocks"
    if total > MAX_TEXT:
        return "msg_too_long"
    return None


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.acks: list[Ack] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages
        self._cond = threading.Condition()
        self._rate_limits: dict[str, list[int]] = {}  # method -> [times left, retry-after]
        self._failures: dict[str, list[str]] = {}  # method -> errors for its next calls
        self._response_channels: dict[str, str] = {}  # response URL path -> its channel
        self._ts = itertools.count(1)
        self._ws: ServerConnection | None = None
        self._ws_ready = threading.Event()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self._http_handler())
        self.http.daemon_threads = True
        self.ws: Server = serve(self._ws_handler, "127.0.0.1", 0, ping_interval=None)
        self._threads = [
            threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True),
            threading.Thread(target=self.ws.serve_forever, daemon=True),
        ]

    # -- lifecycle

    def __enter__(self) -> FakeSlack:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.ws.shutdown()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws.socket.getsockname()[1]}/link/?ticket=fake"

    def response_url(self, name: str, channel: str | None = None) -> str:
        """A response URL; with `channel`, its in-channel posts are kept like chat messages."""
        if channel:
            self._response_channels[f"/response/{name}"] = channel
        return f"{self.base_url}/response/{name}"

    # -- test controls

    def now_ts(self) -> str:
        """A message timestamp like Slack's: seconds.micro, unique and increasing."""
        return f"{int(time.time())}.{next(self._ts):06d}"

    def seed(self, channel: str, **message: Any) -> dict[str, Any]:
        """A message that was already in the channel (a user's earlier question, say)."""
        message.setdefault("type", "message")
        message.setdefault("ts", self.now_ts())
        with self._cond:
            self.messages.setdefault(channel, []).append(message)
        return message

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` (or "response_url") with 429, Retry-After."""
        self._rate_limits[method] = [times, retry_after]

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """Refuse the next `times` calls of `method` with Slack's `error`.

        A Web API method answers `ok: false`; "response_url" answers like Slack's response
        URLs do: HTTP 404 with the error code as the plain-text body.
        """
        self._failures.setdefault(method, []).extend([error] * times)

    def _take_rate_limit(self, method: str) -> int | None:
        """The Retry-After seconds if this call of `method` is to be rate limited."""
        with self._cond:
            limit = self._rate_limits.get(method)
            if limit and limit[0] > 0:
                limit[0] -= 1
                return limit[1]
            return None

    def _take_failure(self, method: str) -> str | None:
        with self._cond:
            errors = self._failures.get(method)
            return errors.pop(0) if errors else None

    def calls_to(self, method: str, *, ok_only: bool = True) -> list[Call]:
        with self._cond:
            return [
                c
                for c in self.calls
                if c.method == method and (not ok_only or (c.status == 200 and c.error is None))
            ]

    def wait_for(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        """Block until `count` successful calls of `method` were made; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := self.calls_to(method)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    made = [(c.method, c.status, c.error) for c in self.calls]
                    raise AssertionError(
                        f"{count} x {method} not seen in {timeout} s; calls: {made}"
                    )
                self._cond.wait(left)
            return found

    def settle(self, quiet: float = 1.0, timeout: float = 20.0) -> None:
        """Wait until no call has arrived for `quiet` seconds (the bot has finished)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                last = max((c.at for c in self.calls), default=0.0)
            if time.monotonic() - last >= quiet:
                return
            time.sleep(0.1)

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        with self._cond:
            return sorted(
                (
                    m
                    for m in self.messages.get(channel, [])
                    if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts
                ),
                key=lambda m: float(m["ts"]),
            )

    # -- Web API

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def api(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        retry_after = self._take_rate_limit(method)
        if retry_after is not None:
            self._record(Call(method, args, token, status=429, error="ratelimited"))
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            self._record(Call(method, args, token, error="invalid_auth"))
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            self._record(Call(method, args, token, error="unknown_method"))
            return 200, {"ok": False, "error": "unknown_method"}, {}
        failure = self._take_failure(method)
        result = {"ok": False, "error": failure} if failure else handler(args)
        self._record(Call(method, args, token, error=None if result.get("ok") else result["error"]))
        return 200, result, {}

    def api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://newsroom.slack.com/",
            "team": "Newsroom",
            "user": "newsbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.ws_url}

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        error = block_errors(args)
        if error:
            return {"ok": False, "error": error}
        message = self._store(args["channel"], args)
        return {"ok": True, "channel": args["channel"], "ts": message["ts"], "message": message}

    def _store(self, channel: str, args: dict[str, Any]) -> dict[str, Any]:
        """A message the bot posted, as conversations.replies / .history will return it."""
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
            "ts": self.now_ts(),
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        with self._cond:
            self.messages.setdefault(channel, []).append(message)
        return message

    api_chat_postMessage = _post

    def api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        error = block_errors(args)
        if error:
            return {"ok": False, "error": error}
        with self._cond:
            for m in self.messages.get(args["channel"], []):
                if m["ts"] == args["ts"]:
                    m.update(text=args.get("text", ""), blocks=args.get("blocks", []))
                    return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        error = block_errors(args)
        if error:
            return {"ok": False, "error": error}
        return {"ok": True, "message_ts": self.now_ts()}

    def api_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def api_reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """Oldest first, `limit` a page (Slack's default 1,000), then a cursor for the next page."""
        messages = self.thread(args["channel"], args["ts"])
        start = int(args.get("cursor") or 0)
        end = start + int(args.get("limit") or 1000)
        more = end < len(messages)
        return {
            "ok": True,
            "messages": messages[start:end],
            "has_more": more,
            "response_metadata": {"next_cursor": str(end) if more else ""},
        }

    def api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        oldest = float(args.get("oldest", 0))
        with self._cond:
            top = [
                m
                for m in self.messages.get(args["channel"], [])
                if m.get("thread_ts") in (None, m["ts"]) and float(m["ts"]) >= oldest
            ]
        top.sort(key=lambda m: float(m["ts"]), reverse=True)
        return {"ok": True, "messages": top[: int(args.get("limit", 100))], "has_more": False}

    def respond(self, path: str, args: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        """A post to a response URL: recorded as a "response_url" call with its `url` path."""
        args = {**args, "url": path}
        retry_after = self._take_rate_limit("response_url")
        if retry_after is not None:
            self._record(Call("response_url", args, None, status=429, error="ratelimited"))
            return 429, b"ratelimited", {"Retry-After": str(retry_after)}
        failure = self._take_failure("response_url")
        if failure:
            self._record(Call("response_url", args, None, status=404, error=failure))
            return 404, failure.encode(), {}
        error = block_errors(args) if not args.get("delete_original") else None
        channel = self._response_channels.get(path)
        if not error and channel and args.get("response_type") == "in_channel":
            self._store(channel, args)
        self._record(Call("response_url", args, None, status=400 if error else 200, error=error))
        return (400, error.encode(), {}) if error else (200, b"ok", {})

    def _http_handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _args(self) -> dict[str, Any]:
                url = urlsplit(self.path)
                args: dict[str, Any] = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if raw and "json" in (self.headers.get("Content-Type") or ""):
                    args.update(json.loads(raw))
                elif raw:
                    args.update({k: v[0] for k, v in parse_qs(raw).items()})
                return args

            def _reply(self, status: int, body: Any, headers: dict[str, str]) -> None:
                plain = isinstance(body, bytes)  # response URLs answer in plain text
                data = body if plain else json.dumps(body).encode()
                self.send_response(status)
                kind = "text/plain" if plain else "application/json"
                self.send_header("Content-Type", kind + "; charset=utf-8")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                path = urlsplit(self.path).path
                args = self._args()
                if path.startswith("/api/"):
                    auth = self.headers.get("Authorization") or ""
                    token = auth.removeprefix("Bearer ") or args.get("token")
                    self._reply(*fake.api(path.removeprefix("/api/"), args, token))
                elif path.startswith("/response/"):
                    self._reply(*fake.respond(path, args))
                else:
                    self._reply(404, {"ok": False, "error": "not_found"}, {})

            do_GET = _handle
            do_POST = _handle

        return Handler

    # -- Socket Mode

    def _ws_handler(self, connection: ServerConnection) -> None:
        self._ws = connection
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A0NEWSBOT"},
                }
            )
        )
        self._ws_ready.set()
        try:
            for raw in connection:
                data = json.loads(raw)
                with self._cond:
                    self.acks.append(
                        Ack(data["envelope_id"], data.get("payload"), time.monotonic())
                    )
                    self._cond.notify_all()
        except Exception:
            pass  # the client went away

    def wait_for_socket(self, timeout: float = 10.0) -> None:
        if not self._ws_ready.wait(timeout):
            raise AssertionError("the bot never opened the Socket Mode connection")

    def nudge(self) -> None:
        """A ping frame to the client (wakes a reader blocked in recv)."""
        try:
            if self._ws is not None:
                self._ws.ping()
        except Exception:
            pass  # already closed

    def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        envelope_id: str | None = None,
    ) -> tuple[str, float]:
        """Deliver an envelope over the WebSocket; returns its id and the time it was sent."""
        assert self._ws is not None, "no Socket Mode connection"
        envelope_id = envelope_id or uuid.uuid4().hex
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        sent = time.monotonic()
        self._ws.send(json.dumps(envelope))
        return envelope_id, sent

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ack in self.acks:
                    if ack.envelope_id == envelope_id:
                        return ack
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"envelope {envelope_id} was never acknowledged")
                self._cond.wait(left)
