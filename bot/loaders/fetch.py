"""Feed downloads with bounds: one deadline for the whole transfer, a size cap, and a
redirect policy.

- The deadline (NEWSBOT_FEED_TIMEOUT) covers connecting, the headers and the body together.
  A socket timeout alone applies to each read, so a server sending a byte a second would
  hold the ingest (and its write lock) for ever; here a watchdog shuts the connection down
  when the time is up.
- Redirects are followed only to http(s), and never from a public address to a loopback,
  private, link-local or otherwise non-public one: a public feed must not make the ingest
  fetch an intranet page and index it under the feed's URL. A private URL given directly
  is fetched as given (intranet feeds), and so are its redirects.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bot.errors import ArticleError

USER_AGENT = "newsbot-ingest/1 (+feed reader)"
READ_SIZE = 65_536
REDIRECT_SCHEMES = ("http", "https")

IsPublic = Callable[[str], bool]  # host name or IP address -> is it a public address?


def is_public_host(host: str) -> bool:
    """Whether every address `host` names (or resolves to) is a public one. A name that
    doesn't resolve counts as not public: it can't be checked."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except OSError:
            return False
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return bool(addresses) and all(_public(a) for a in addresses)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    # is_global: not private, loopback, link-local, shared (100.64/10), reserved, ...
    return address.is_global and not address.is_multicast


class _Transfer:
    """One download's clock, its open sockets, and the hosts reached by a redirect."""

    def __init__(self, url: str, timeout: float, is_public: IsPublic) -> None:
        self.url = url
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.is_public = is_public
        self.origin_public = is_public(urlsplit(url).hostname or "")
        self.redirect_hosts: set[str] = set()
        self.expired = False
        self.received = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._watchdog = threading.Timer(timeout, self._expire)
        self._watchdog.daemon = True

    def remaining(self) -> float:
        return max(0.01, self.deadline - time.monotonic())

    def opened(self, sock: socket.socket, host: str) -> None:
        """A connection is up: it is shut down at the deadline, and one a redirect made
        must have reached a public address when the feed's own address is public (the
        name may resolve differently now than when the redirect was checked)."""
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)
        if self.origin_public and host in self.redirect_hosts:
            peer = str(sock.getpeername()[0])
            if not self.is_public(peer):
                raise ArticleError(self.url, _private_redirect(host))

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> _Transfer:
        self._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._watchdog.cancel()

    def timed_out(self) -> ArticleError:
        if self.received:
            return ArticleError(
                self.url,
                f"the download did not finish within {self.timeout:g} s "
                f"({self.received:,} bytes arrived; timed out)",
            )
        return ArticleError(self.url, f"no answer within {self.timeout:g} s (timed out)")


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked reading it


def _private_redirect(host: str) -> str:
    return (
        f"redirected from a public address to {host}, a private or local one; "
        "not followed (give an intranet feed's own URL to fetch it)"
    )


def _opener(transfer: _Transfer) -> urllib.request.OpenerDirector:
    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.timeout = transfer.remaining()
            super().connect()
            transfer.opened(self.sock, self.host)

    class SecureConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            self.timeout = transfer.remaining()
            super().connect()
            transfer.opened(self.sock, self.host)

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    class Secure(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(SecureConnection, req, context=self._context)  # type: ignore[attr-defined]

    class Redirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(
            self,
            req: urllib.request.Request,
            fp: Any,
            code: int,
            msg: str,
            headers: Any,
            newurl: str,
        ) -> urllib.request.Request | None:
            target = urlsplit(newurl)
            if target.scheme.lower() not in REDIRECT_SCHEMES:
                raise ArticleError(
                    transfer.url,
                    f"redirected to {newurl[:200]}; newsbot follows redirects only to "
                    "http:// and https://",
                )
            host = target.hostname or ""
            if transfer.origin_public and not transfer.is_public(host):
                raise ArticleError(transfer.url, _private_redirect(host))
            transfer.redirect_hosts.add(host)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(Plain, Secure, Redirects)


def fetch(
    url: str, *, timeout: float, max_bytes: int, is_public: IsPublic = is_public_host
) -> bytes:
    """GET `url` within `timeout` seconds in all and at most `max_bytes` bytes; every
    failure is an ArticleError that says what happened."""
    from bot.loaders import megabytes

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with _Transfer(url, timeout, is_public) as transfer:
        try:
            with _opener(transfer).open(request, timeout=timeout) as response:
                data = _read(response, transfer, max_bytes)
        except ArticleError:
            raise
        except urllib.error.HTTPError as exc:
            raise ArticleError(url, f"the server answered HTTP {exc.code} {exc.reason}") from None
        except (OSError, ValueError, http.client.HTTPException) as exc:
            if transfer.expired or _is_timeout(exc):
                raise transfer.timed_out() from None
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise ArticleError(url, f"cannot fetch: {reason}") from None
        if transfer.expired:
            raise transfer.timed_out()
    if len(data) > max_bytes:
        raise ArticleError(url, f"feed is over the {megabytes(max_bytes)} limit")
    return data


def _read(response: http.client.HTTPResponse, transfer: _Transfer, max_bytes: int) -> bytes:
    parts: list[bytes] = []
    while transfer.received <= max_bytes:
        part = response.read1(READ_SIZE)
        if not part or transfer.expired:
            break
        parts.append(part)
        transfer.received += len(part)
    return b"".join(parts)


def _is_timeout(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", None)
    return isinstance(exc, TimeoutError | socket.timeout) or isinstance(
        reason, TimeoutError | socket.timeout
    )
