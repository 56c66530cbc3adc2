"""A chat model server on 127.0.0.1 for wire tests: OpenAI's chat completions API (plain JSON
and SSE streaming) and Ollama's /api/chat (NDJSON streaming), answering from a script.

Each request takes the next `Reply` (the last one repeats). A reply can be an error status
(with Retry-After), a slow start, a slow drip of tokens, a malformed body, an empty answer, or
a dropped connection. Every request is recorded for assertions.

Run it alone for a manual session (prints its URL, serves until Ctrl-C):
    python -m tests.llm_server --reply 'The mayor resigned [1].' --reply 'Second answer [1].'
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    text: str = ""
    status: int = 200
    delay: float = 0.0  # seconds before the response starts
    token_delay: float = 0.0  # seconds between streamed tokens
    malformed: bool = False  # a 200 whose body isn't the protocol's JSON
    drop: bool = False  # close the connection without a response
    retry_after: str | None = None  # Retry-After header of an error status
    respond: Callable[[dict[str, Any]], str] | None = None  # text computed from the request


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def content(self, role: str) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages if m.get("role") == role)


def tokens(text: str) -> list[str]:
    """Word-sized pieces, spaces kept, as a model streams them."""
    return re.findall(r"\S+\s*|\s+", text)


class LLMServer:
    def __init__(self, *replies: Reply, port: int = 0) -> None:
        self.replies = list(replies) or [Reply("OK [1].")]
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_url(self) -> str:
        return self.url + "/v1"

    def next_reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def __enter__(self) -> LLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


def _handler(server: LLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            reply = server.next_reply(request)
            time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                self.connection.shutdown(2)  # socket.SHUT_RDWR: the client sees the line die
                return
            if reply.status != 200:
                return self._error(reply)
            text = reply.respond(body) if reply.respond else reply.text
            if reply.malformed:
                return self._send(200, "application/json", b'{"choices": [{"mess')
            if self.path.rstrip("/").endswith("/chat/completions"):
                return self._openai(body, text, reply)
            if self.path.rstrip("/") == "/api/chat":
                return self._ollama(body, text, reply)
            self._send(404, "application/json", b'{"error": "not found"}')

        def _send(
            self, status: int, kind: str, data: bytes, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, reply: Reply) -> None:
            headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
            payload = {"error": {"message": f"scripted {reply.status}", "type": "server_error"}}
            self._send(reply.status, "application/json", json.dumps(payload).encode(), headers)

        def _stream_start(self, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

        def _openai(self, body: dict[str, Any], text: str, reply: Reply) -> None:
            base = {"id": "chatcmpl-test", "created": int(time.time()), "model": body["model"]}
            if not body.get("stream"):
                payload = {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                }
                return self._send(200, "application/json", json.dumps(payload).encode())
            self._stream_start("text/event-stream")
            deltas = [{"role": "assistant", "content": ""}] + [{"content": t} for t in tokens(text)]
            for i, delta in enumerate(deltas):
                last = i == len(deltas) - 1
                chunk = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [
                        {"index": 0, "delta": delta, "finish_reason": "stop" if last else None}
                    ],
                }
                if not self._write(f"data: {json.dumps(chunk)}\n\n", reply.token_delay):
                    return
            self._write("data: [DONE]\n\n", 0)

        def _ollama(self, body: dict[str, Any], text: str, reply: Reply) -> None:
            base = {"model": body["model"], "created_at": "2026-01-01T00:00:00Z"}
            done = {
                **base,
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "total_duration": 1000,
                "prompt_eval_count": 10,
                "eval_count": 5,
            }
            if body.get("stream") is False:
                payload = {**done, "message": {"role": "assistant", "content": text}}
                return self._send(200, "application/json", json.dumps(payload).encode())
            self._stream_start("application/x-ndjson")
            for t in tokens(text):
                line = {**base, "message": {"role": "assistant", "content": t}, "done": False}
                if not self._write(json.dumps(line) + "\n", reply.token_delay):
                    return
            self._write(json.dumps(done) + "\n", 0)

        def _write(self, data: str, delay: float) -> bool:
            time.sleep(delay)
            try:
                self.wfile.write(data.encode())
                self.wfile.flush()
                return True
            except OSError:  # the client gave up (its deadline passed)
                return False

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reply", action="append", default=[], help="answer text, in order")
    parser.add_argument("--token-delay", type=float, default=0.05)
    args = parser.parse_args()
    replies = [Reply(t, token_delay=args.token_delay) for t in args.reply]
    with LLMServer(*replies, port=args.port) as server:
        print(f"serving on {server.url} (OpenAI: {server.openai_url})", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
