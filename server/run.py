"""``novbe server``: load the center, replay the log, serve the hall until SIGTERM."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import ssl
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from websockets.asyncio.server import serve

from .app import Hub
from .center import Center
from .store import EventStore

log = logging.getLogger("novbe.server")

MAX_FRAME = 1024 * 1024
"""websockets closes a connection (1009) on a frame above this; frames between
wire.protocol.MAX_MESSAGE_BYTES and this get a ``too_large`` error reply instead."""


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    certfile: Path | None = None
    keyfile: Path | None = None
    ping_interval: float = 20.0
    """Seconds between pings; a connection that doesn't answer one within as long again
    is closed, so that dead devices don't pile up."""


class JsonLines(logging.Formatter):
    """One JSON object per line: easy to grep, easy to ship to a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            fields = json.loads(message) if message.startswith("{") else {"msg": message}
        except ValueError:
            fields = {"msg": message}
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            **fields,
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger("novbe")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _ssl_context(options: ServerOptions) -> ssl.SSLContext | None:
    if options.certfile is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options.certfile, options.keyfile)
    return context


async def serve_hall(center: Center, store: EventStore, options: ServerOptions) -> None:
    """Run the hub until SIGTERM/SIGINT, then stop cleanly: no new requests, the
    in-flight ones finished and committed, connections closed, the store closed."""
    started = time.perf_counter()
    hub = Hub(center, store)
    replayed = await asyncio.to_thread(hub.load)
    await hub.start()
    context = _ssl_context(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with serve(
        hub.handler,
        options.host,
        options.port,
        process_request=hub.process_request,
        compression=None,
        max_size=MAX_FRAME,
        ping_interval=options.ping_interval,
        ping_timeout=options.ping_interval,
        # A peer that stopped answering won't answer the closing handshake either.
        close_timeout=min(5.0, options.ping_interval),
        ssl=context,
        logger=logging.getLogger("novbe.websockets"),
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        scheme = "wss" if context else "ws"
        print(  # noqa: T201 - the one line an operator (and the tests) read to find the port
            f"novbe server: listening on {scheme}://{options.host}:{port} "
            f"(center {center.code}, {len(center.counters)} counters, "
            f"{replayed} events replayed, ready in {time.perf_counter() - started:.2f} s)",
            flush=True,
        )
        log.info(
            json.dumps({"msg": "listening", "url": f"{scheme}://{options.host}:{port}", "events": replayed})
        )
        await stop.wait()
        log.info(json.dumps({"msg": "stopping"}))
        await hub.stop()
    store.close()
    log.info(json.dumps({"msg": "stopped", "seq": hub.seq}))
    print("novbe server: stopped", flush=True)  # noqa: T201
