"""The central database's URL and engine.

The central record is PostgreSQL. Its URL may name several hosts, the way libpq does
failover: the client tries them in turn and, with ``target_session_attrs=read-write``,
settles on the one that takes writes, so that a standby promoted to primary is found
without changing any shipper's configuration (docs/deployment.md). Both spellings work:

* ``postgresql://novbe@db1:5432,db2:5432/central?target_session_attrs=read-write`` (libpq's)
* ``postgresql+psycopg://novbe@/central?host=db1:5432&host=db2:5432&target_session_attrs=read-write``
  (SQLAlchemy's)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DRIVER = "postgresql+psycopg"

# A link that dies without a word (a cable pulled, a VPN down) must not hang a shipper:
# TCP keepalives find a silent peer while we wait for an answer, tcp_user_timeout gives up
# on data the peer never acknowledges, connect_timeout on a connection never answered.
CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}


def central_url(text: str) -> URL:
    """The SQLAlchemy URL of the central database ``text`` (either spelling above).

    Raises:
        ValueError: ``text`` is not a PostgreSQL URL.
    """
    scheme = text.partition("://")[0]
    if scheme not in ("postgresql", "postgres", DRIVER):
        raise ValueError(f"the central record is a PostgreSQL database: {scheme or text!r} is not one")
    parts = urlsplit(text)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    if "," in hosts:
        # libpq's host list; SQLAlchemy wants it as repeated host= parameters.
        user, _, password = userinfo.partition(":")
        query: dict[str, list[str]] = {"host": hosts.split(",")}
        for key, value in parse_qsl(parts.query):
            query.setdefault(key, []).append(value)
        return URL.create(
            DRIVER,
            username=unquote(user) or None,
            password=unquote(password) or None,
            database=unquote(parts.path.lstrip("/")) or None,
            query={k: v[0] if len(v) == 1 and k != "host" else tuple(v) for k, v in query.items()},
        )
    try:
        return make_url(text).set(drivername=DRIVER)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {exc}") from None


def shown(url: URL) -> str:
    """The URL as it may be logged: without its password."""
    return url.render_as_string(hide_password=True)


def make_central_engine(url: URL, *, application: str = "novbe-central") -> Engine:
    """An engine for the central database; connections are checked before use, so one left
    pointing at a primary that went away is replaced rather than failing a batch."""
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=2,
        connect_args={**CONNECT_ARGS, "application_name": application},
    )
