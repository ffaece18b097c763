"""A TCP proxy a test controls, to cut the link between shippers and the central database.

It runs its own asyncio loop in a thread and forwards 127.0.0.1:``port`` to a target.
:meth:`Proxy.cut` closes every connection through it and stops listening, as a link that
goes down does (a new connection is refused); :meth:`Proxy.blackhole` keeps the connections
open but lets nothing through, as a link that dies silently does; :meth:`Proxy.restore`
brings the link back on the same port. :meth:`Proxy.retarget` points it elsewhere (a
standby promoted in the meantime).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Proxy:
    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.connections = 0
        """Connections accepted so far."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._silent = False
        self.restore()

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    @property
    def url_host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def restore(self) -> None:
        """Let traffic through again (listening on the same port)."""
        self._silent = False
        self._call(self._listen())

    def cut(self) -> None:
        """Close every connection and refuse new ones."""
        self._call(self._cut())

    def blackhole(self) -> None:
        """Keep every connection open but pass nothing either way; refuse new ones."""
        self._silent = True
        self._call(self._close_listener())

    def retarget(self, target_port: int) -> None:
        self.target = (self.target[0], target_port)

    def close(self) -> None:
        self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, reuse_address=True
            )

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    if self._silent:
                        continue  # swallowed, as by a dead link
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._open -= {writer, up_writer}
