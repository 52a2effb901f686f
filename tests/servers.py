"""Real local stand-ins for Slack, a generic webhook receiver and an SMTP server (a pytest plugin)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Sink:
    """Answers like a Slack incoming webhook ("ok") unless told to fail: `failures[path] = [503, ...]`."""

    received: list[Received] = field(default_factory=list)
    failures: dict[str, list[int]] = field(default_factory=dict)
    base: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        queued = self.failures.get(request.path)
        status = queued.pop(0) if queued else 200  # a 200 queued lets one message through
        if status != 200:
            return web.Response(status=status, text="no_service")
        self.received.append(Received(request.path, dict(request.headers), await request.read()))
        return web.Response(text="ok")

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    recorder = Sink()
    app = web.Application()
    app.router.add_post("/{tail:.*}", recorder.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    recorder.base = str(server.make_url("")).rstrip("/")
    yield recorder
    await server.close()


class Mailbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def handle_message(self, message: Message) -> None:
        self.messages.append(message)


def free_port() -> int:
    """A port nobody listens on now, for a server started in another process (or aiosmtpd's
    Controller, whose port=0 does not work: it self-connects to the port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def first_answer(url: str, seconds: float = 30.0) -> tuple[int, str]:
    """(status, body) of the first answer at `url`, asking until a server there answers."""
    async with aiohttp.ClientSession() as session:
        for _ in range(int(seconds * 10)):
            try:
                async with session.get(url) as response:
                    return response.status, await response.text()
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def _authenticator(
    server: object, session: object, envelope: object, mechanism: str, data: object
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"sentinel", b"right")
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself


@dataclass
class Smtp:
    mailbox: Mailbox
    port: int

    def wait(self, count: int, timeout: float = 5.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.mailbox.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.mailbox.messages


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_require_tls=False,
        auth_required=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    yield Smtp(mailbox, port)
    controller.stop()
