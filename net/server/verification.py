"""Channels that carry a verification code to the person registering, out of band.

The server makes the code; a channel only delivers it. Three channels, chosen
when the server starts:

* ``console`` prints the code, as the original server did: for a try-out on one machine.
* ``file`` drops one file per code into an outbox folder, for a separate sender
  (an SMS gateway script, an operator) to pick up.
* ``smtp`` sends an e-mail through a relay.

A channel is called on a server handler thread, so each delivery shares no
mutable state with another and is bounded in time. Failure is a
:class:`DeliveryError` whose message says why and never holds the code; apart
from the console channel's deliberate output, the code goes nowhere but to its
recipient.
"""

from __future__ import annotations

import argparse
import os
import secrets
import smtplib
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Final, Protocol, TextIO

from net.server.addresses import is_loopback

__all__ = [
    "CHANNEL_KINDS",
    "CODE_LIFETIME_MINUTES",
    "PASSWORD_ENVIRONMENT_VARIABLE",
    "CodeChannel",
    "ConsoleChannel",
    "DeliveryError",
    "FileChannel",
    "SmtpChannel",
    "SmtpSettings",
    "add_smtp_arguments",
    "make_channel",
    "smtp_settings_from_args",
]

CHANNEL_KINDS: Final = ("console", "file", "smtp")
#: What the messages promise; the server's code store should use the same lifetime.
CODE_LIFETIME_MINUTES: Final = 10
PASSWORD_ENVIRONMENT_VARIABLE: Final = "PARLEY_SMTP_PASSWORD"  # noqa: S105 (a name, not a secret)
SUBJECT: Final = "Your Parley code"
OUTBOX_FOLDER: Final = "outbox"


class DeliveryError(Exception):
    """The code could not be delivered. The message says why; it never contains the code."""


class CodeChannel(Protocol):
    name: str

    def deliver(self, phone: str, email: str, code: str) -> None: ...


class ConsoleChannel:
    """Prints ``Verification code for +44...: 123456``, one whole line per code."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        # None means "sys.stdout at the time of delivery", so redirected output is honoured.
        self._stream = stream
        self._lock = threading.Lock()

    def deliver(self, phone: str, email: str, code: str) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        line = f"Verification code for {phone}: {code}\n"
        try:
            # One write under a lock, so that lines from concurrent registrations never interleave.
            with self._lock:
                stream.write(line)
                stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: the stream was closed
            raise DeliveryError(f"could not print the code: {type(exc).__name__}") from None


def _safe_filename_part(phone: str) -> str:
    # The phone is E.164 already; this keeps a malformed one from naming a path elsewhere.
    kept = "".join(ch for ch in phone if ch.isascii() and (ch.isdigit() or ch == "+"))
    return kept or "unknown"


class FileChannel:
    """Writes one file per code into an outbox folder: complete or absent, readable only by the owner."""

    name = "file"

    def __init__(self, outbox_dir: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.outbox_dir = Path(outbox_dir)
        self._clock = clock

    def deliver(self, phone: str, email: str, code: str) -> None:
        now = datetime.fromtimestamp(self._clock(), tz=UTC)
        # The random part keeps two codes for one phone in the same microsecond apart.
        final = self.outbox_dir / (
            f"{now:%Y%m%dT%H%M%S.%fZ}-{_safe_filename_part(phone)}-{secrets.token_hex(4)}.txt"
        )
        body = (
            f"phone: {phone}\n"
            f"email: {email}\n"
            f"code: {code}\n"
            f"created: {now.isoformat(timespec='seconds')}\n"
            f"expires-in-minutes: {CODE_LIFETIME_MINUTES}\n"
        )
        try:
            self.outbox_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp creates the file with mode 0600; the dot hides a half-written file from a reader's glob.
            fd, temp_name = tempfile.mkstemp(prefix=".incoming-", suffix=".tmp", dir=self.outbox_dir)
        except OSError as exc:
            raise DeliveryError(
                f"could not write to the code outbox: {exc.strerror or type(exc).__name__}"
            ) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp_name, final)
        except OSError as exc:
            Path(temp_name).unlink(missing_ok=True)
            raise DeliveryError(
                f"could not write to the code outbox: {exc.strerror or type(exc).__name__}"
            ) from None


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send code e-mails. The password never appears in a repr."""

    host: str
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "parley@localhost"
    starttls: bool = False
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("the SMTP host is empty")
        if not 0 < self.port < 65536:
            raise ValueError(f"the SMTP port must be between 1 and 65535, not {self.port}")
        if not self.timeout > 0:
            raise ValueError("the SMTP timeout must be positive")
        if self.user is not None and not self.starttls and not is_loopback(self.host):
            raise ValueError("refusing to send the SMTP password unencrypted: use STARTTLS (--smtp-starttls)")


def _smtp_failure(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(f"{status} {_reply(text)}" for status, text in exc.recipients.values())
        return f"the mail server refused the recipient ({replies})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"the mail server refused the sender ({exc.smtp_code} {_reply(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the mail server refused the login ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "the mail server does not support what this message needs (STARTTLS, login or SMTPUTF8)"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib turns a read timeout into a disconnection; the timeout is the useful part.
        if isinstance(exc.__context__, TimeoutError):
            return "the mail server did not answer in time"
        return "the mail server closed the connection"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server answered {exc.smtp_code} {_reply(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with the mail server failed ({exc.reason or type(exc).__name__})"
    if isinstance(exc, TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "the mail server refused the connection"
    if isinstance(exc, OSError):
        return f"could not reach the mail server ({exc.strerror or type(exc).__name__})"
    return f"the mail server conversation failed ({type(exc).__name__})"


def _reply(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(text.split())[:200]


class SmtpChannel:
    """Sends the code in an e-mail through an SMTP relay, with STARTTLS and login when configured."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings, *, tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        # The default verifies the relay's certificate against the system's trust store.
        self._tls_context = tls_context

    def compose(self, phone: str, email: str, code: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = email
        message["Subject"] = SUBJECT
        message["Date"] = format_datetime(datetime.now(UTC))
        sender_domain = self.settings.sender.rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid(domain=sender_domain)
        message.set_content(
            f"Your Parley verification code is {code}\n\n"
            f"Enter it in the app to finish registering {phone}. "
            f"It expires in {CODE_LIFETIME_MINUTES} minutes.\n\n"
            "If you did not ask for this code, you can ignore this e-mail: "
            "nobody can register your number without it.\n"
        )
        return message

    def deliver(self, phone: str, email: str, code: str) -> None:
        settings = self.settings
        try:
            message = self.compose(phone, email, code)
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
                if settings.starttls:
                    context = self._tls_context or ssl.create_default_context()
                    smtp.starttls(context=context)
                if settings.user is not None:
                    smtp.login(settings.user, settings.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            # ValueError: a header the email package cannot encode. The reason quotes server replies,
            # so the code is scrubbed in case a server echoed it back.
            text = f"could not e-mail the code to {email}: {_smtp_failure(exc)}"
            raise DeliveryError(text.replace(code, "[code]") if code else text) from None


def make_channel(kind: str, *, data_dir: Path, smtp: SmtpSettings | None = None) -> CodeChannel:
    """The channel named ``kind`` (one of :data:`CHANNEL_KINDS`); the file outbox lives in ``data_dir``."""
    if kind == "console":
        return ConsoleChannel()
    if kind == "file":
        return FileChannel(Path(data_dir) / OUTBOX_FOLDER)
    if kind == "smtp":
        if smtp is None:
            raise ValueError("the smtp code channel needs --smtp-host")
        return SmtpChannel(smtp)
    raise ValueError(f"unknown code channel {kind!r}; choose one of {', '.join(CHANNEL_KINDS)}")


def add_smtp_arguments(parser: argparse.ArgumentParser) -> None:
    """The server's e-mail options. The password is read only from the environment, never from argv."""
    group = parser.add_argument_group(
        "e-mail delivery of codes",
        f"the SMTP password, if any, is read from the environment variable {PASSWORD_ENVIRONMENT_VARIABLE}",
    )
    group.add_argument("--smtp-host", metavar="HOST", help="the SMTP relay that sends code e-mails")
    group.add_argument("--smtp-port", metavar="PORT", type=int, default=25, help="its port (default: 25)")
    group.add_argument("--smtp-user", metavar="USER", help="log in to the relay as USER")
    group.add_argument(
        "--smtp-from", metavar="ADDRESS", default="parley@localhost", help="the sender of code e-mails"
    )
    group.add_argument(
        "--smtp-starttls", action="store_true", help="upgrade the connection with STARTTLS before sending"
    )


def smtp_settings_from_args(args: argparse.Namespace) -> SmtpSettings | None:
    """The settings from :func:`add_smtp_arguments`' options, or None without ``--smtp-host``.

    Raises ValueError with a sentence for the operator when the options do not fit together.
    """
    if not args.smtp_host:
        return None
    password = os.environ.get(PASSWORD_ENVIRONMENT_VARIABLE)
    if args.smtp_user and not password:
        raise ValueError(
            f"--smtp-user needs the password in the environment variable {PASSWORD_ENVIRONMENT_VARIABLE}"
        )
    return SmtpSettings(
        host=args.smtp_host,
        port=args.smtp_port,
        user=args.smtp_user or None,
        password=password if args.smtp_user else None,
        sender=args.smtp_from,
        starttls=args.smtp_starttls,
    )
