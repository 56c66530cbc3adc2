"""Database URLs: the connection string psycopg gets, and the form people and logs see,
without the password (also scrubbed from error texts that might quote it)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from bot.errors import ConfigError, IndexUnavailableError

SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class DatabaseUrl:
    conninfo: str  # as given: psycopg reads URLs (and passwords) itself
    safe: str  # the URL with the password replaced by ***

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        parts = urlsplit(url.strip())
        if parts.scheme not in SCHEMES:
            raise ConfigError(
                "NEWSBOT_DATABASE_URL must be a postgresql:// URL, e.g. "
                "postgresql://newsbot:PASSWORD@db.example.org:5432/newsbot"
            )
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user, _, password = userinfo.partition(":")
            netloc = f"{user}:***@{host}" if password else f"{user}@{host}"
        query = "&".join(
            "password=***" if q.lower().startswith("password=") else q
            for q in parts.query.split("&")
            if q
        )
        return cls(url.strip(), urlunsplit(parts._replace(netloc=netloc, query=query)))

    def secrets(self) -> list[str]:
        """The password as written and decoded, to scrub from texts."""
        parts = urlsplit(self.conninfo)
        found = [parts.password or ""]
        found += [
            q.split("=", 1)[1] for q in parts.query.split("&") if q.lower().startswith("password=")
        ]
        found += [unquote(s) for s in found]
        return [s for s in found if s]

    def scrub(self, error: BaseException | str) -> str:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text

    def unavailable(self, error: BaseException, during: str = "") -> IndexUnavailableError:
        """A user-facing error for a database that can't be reached."""
        lost = f" during {during}; nothing of it was committed, run it again" if during else ""
        return IndexUnavailableError(
            f"The index database at {self.safe} is unreachable{lost} ({self.scrub(error)}). "
            "Check that PostgreSQL is running there and NEWSBOT_DATABASE_URL "
            "(or --database-url)."
        )
