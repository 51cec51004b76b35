"""A real SMTP server on loopback (aiosmtpd) that every test's mail goes through.

The server starts once per test session; each test gets an empty ``mailbox`` and
Django's SMTP backend pointed at it (never the in-memory backend). A test that
needs the server down starts one of its own (``smtp_server_factory``) and stops it.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://[^\s<>\"]+")


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.text)

    def link(self, containing: str) -> str:
        """The path (and query) of the one link whose path contains ``containing``."""
        found = [urlsplit(link) for link in self.links if containing in urlsplit(link).path]
        assert len(found) == 1, f"links with {containing!r}: {self.links}"
        return found[0].path


class Mailbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self.on_arrival = None  # a test's look at the world at the moment a message arrives
        self.seen_on_arrival: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), message)
        if self.on_arrival is not None:
            self.seen_on_arrival.append(self.on_arrival(received))
        with self._lock:
            self._received.append(received)
        return "250 Message accepted"

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
        self.on_arrival, self.seen_on_arrival = None, []

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address.lower() in (r.lower() for r in m.recipients)]

    def wait_for(self, address: str, count: int = 1, seconds: float = 10) -> Received:
        """The ``count``-th message to ``address``, waiting for it (a browser test's server thread sends it)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"no message {count} to {address}; got {[m.recipients for m in self.messages]}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPServer:
    def __init__(self, port: int | None = None) -> None:
        self.mailbox = Mailbox()
        self.port = port or free_port()
        self._controller: Controller | None = None

    def start(self) -> "SMTPServer":
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def use(self, settings) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", self.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def mailbox(smtp_server, settings) -> Mailbox:
    """Every test's mail goes to the real SMTP server; this is its inbox, emptied first."""
    smtp_server.use(settings)
    smtp_server.mailbox.clear()
    return smtp_server.mailbox


@pytest.fixture
def smtp_server_factory(settings):
    """A server of the test's own, which it may stop and start again (same port)."""
    started: list[SMTPServer] = []

    def make() -> SMTPServer:
        server = SMTPServer().start()
        server.use(settings)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
