"""A private `redis-server` on a free port of 127.0.0.1, to stop and restart during a test."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from redis.asyncio import Redis


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """One redis-server process without persistence; `stop()` and `start()` keep the port."""

    def __init__(
        self, directory: Path, port: int | None = None, options: Sequence[str] = ()
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.options = list(options)  # more redis-server arguments ("--rename-command", ...)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, timeout: float = 5.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await self._answers():
            if self._process.poll() is not None or loop.time() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            await asyncio.sleep(0.02)

    def pause(self) -> None:
        """SIGSTOP: the server keeps its port and connections but answers nothing."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    async def stop(self) -> None:
        """Kill the server (no shutdown courtesy: clients see connections reset)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        await asyncio.to_thread(process.wait)

    async def _answers(self) -> bool:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        try:
            writer.write(b"PING\r\n")
            await writer.drain()
            return (await asyncio.wait_for(reader.readline(), 1.0)).startswith(b"+PONG")
        except (OSError, TimeoutError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def monitored(url: str) -> AsyncIterator[list[list[str]]]:
    """Every command the Redis at `url` runs while the block does (MONITOR), as word lists.

    Only for a private server: MONITOR sees every client's commands.
    """
    client = Redis.from_url(url)
    commands: list[list[str]] = []
    try:
        async with client.monitor() as monitor:

            async def listen() -> None:
                while True:
                    info = await monitor.next_command()
                    commands.append(str(info["command"]).split())

            listener = asyncio.create_task(listen())
            try:
                yield commands
                await asyncio.sleep(0.1)  # the block's last commands reach the monitor
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
    finally:
        await client.aclose()
