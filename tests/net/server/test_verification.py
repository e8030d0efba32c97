"""net.server.verification: codes reach the person through the console, a file outbox or real SMTP."""

from __future__ import annotations

import argparse
import datetime
import email
import email.policy
import io
import ipaddress
import socket
import ssl
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from net.server.verification import (
    CHANNEL_KINDS,
    SUBJECT,
    CodeChannel,
    ConsoleChannel,
    DeliveryError,
    FileChannel,
    SmtpChannel,
    SmtpSettings,
    add_smtp_arguments,
    make_channel,
    smtp_settings_from_args,
)

PHONE = "+442079460958"
EMAIL = "alice@example.com"
CODE = "480913"
JOIN_TIMEOUT = 30.0


# --- console ---------------------------------------------------------------------------------------


def test_console_prints_the_line_the_original_server_printed() -> None:
    out = io.StringIO()
    ConsoleChannel(out).deliver(PHONE, EMAIL, CODE)
    assert out.getvalue() == f"Verification code for {PHONE}: {CODE}\n"


def test_console_defaults_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleChannel().deliver(PHONE, EMAIL, CODE)
    assert capsys.readouterr().out == f"Verification code for {PHONE}: {CODE}\n"


def test_console_lines_from_many_threads_never_interleave() -> None:
    out = io.StringIO()
    channel = ConsoleChannel(out)
    codes = [f"{n:06d}" for n in range(200)]
    threads = [threading.Thread(target=channel.deliver, args=(PHONE, EMAIL, code)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert sorted(out.getvalue().splitlines()) == sorted(f"Verification code for {PHONE}: {c}" for c in codes)


def test_a_closed_console_is_a_delivery_error_without_the_code() -> None:
    out = io.StringIO()
    out.close()
    with pytest.raises(DeliveryError) as caught:
        ConsoleChannel(out).deliver(PHONE, EMAIL, CODE)
    assert CODE not in str(caught.value)


# --- file outbox -----------------------------------------------------------------------------------


def _outbox_files(outbox: Path) -> list[Path]:
    return sorted(outbox.iterdir())


def test_the_file_channel_writes_one_readable_private_file_per_code(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    moment = datetime.datetime(2026, 11, 25, 19, 30, 5, 123456, tzinfo=datetime.UTC)
    channel = FileChannel(outbox, clock=moment.timestamp)
    channel.deliver(PHONE, EMAIL, CODE)

    [written] = _outbox_files(outbox)
    assert written.name.startswith(f"20261125T193005.123456Z-{PHONE}-")
    assert written.suffix == ".txt"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    fields = dict(line.split(": ", 1) for line in written.read_text(encoding="utf-8").splitlines())
    assert fields["phone"] == PHONE
    assert fields["email"] == EMAIL
    assert fields["code"] == CODE
    assert fields["created"] == "2026-11-25T19:30:05+00:00"
    assert fields["expires-in-minutes"] == "10"


def test_every_code_gets_its_own_file_even_in_the_same_instant_from_many_threads(tmp_path: Path) -> None:
    channel = FileChannel(tmp_path, clock=lambda: 1_800_000_000.0)
    codes = [f"{n:06d}" for n in range(40)]
    threads = [threading.Thread(target=channel.deliver, args=(PHONE, EMAIL, code)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    files = _outbox_files(tmp_path)
    assert len(files) == len(codes)  # and no temporary file is left behind
    found = sorted(p.read_text(encoding="utf-8").split("code: ")[1].split("\n")[0] for p in files)
    assert found == codes


def test_a_malformed_phone_cannot_steer_the_file_elsewhere(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    FileChannel(outbox).deliver("../../etc/passwd", EMAIL, CODE)
    [written] = _outbox_files(outbox)
    assert written.parent == outbox and ".." not in written.name


def test_an_unwritable_outbox_is_a_delivery_error_without_the_code(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(DeliveryError, match="outbox") as caught:
        FileChannel(blocker).deliver(PHONE, EMAIL, CODE)
    assert CODE not in str(caught.value)


# --- a real SMTP server on loopback ---------------------------------------------------------------


class Recorder:
    """An aiosmtpd handler that keeps every message it accepts; optionally refuses at RCPT or DATA."""

    def __init__(self, refuse_rcpt: str | None = None, refuse_data: bool = False) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse_rcpt = refuse_rcpt
        self.refuse_data = refuse_data

    async def handle_RCPT(
        self, server: SmtpServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt is not None:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        if self.refuse_data:
            # A careless server that quotes the message back in its refusal.
            message = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
            assert isinstance(message, email.message.EmailMessage)
            return "554 rejected: " + message.get_content().splitlines()[0]
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class LoopbackController(Controller):
    """aiosmtpd's threaded controller on port 0: it learns the port the system chose before its self-check."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    started: list[LoopbackController] = []

    def start(handler: Recorder, **smtp_options: Any) -> LoopbackController:
        controller = LoopbackController(handler, hostname="127.0.0.1", port=0, **smtp_options)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


def _received(handler: Recorder) -> email.message.EmailMessage:
    [envelope] = handler.envelopes
    parsed = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_the_code_arrives_by_email_to_the_right_recipient(smtp_server: Any) -> None:
    handler = Recorder()
    server = smtp_server(handler)
    settings = SmtpSettings("127.0.0.1", server.port, sender="codes@parley.example", timeout=5)
    SmtpChannel(settings).deliver(PHONE, EMAIL, CODE)

    [envelope] = handler.envelopes
    assert envelope.mail_from == "codes@parley.example"
    assert envelope.rcpt_tos == [EMAIL]
    message = _received(handler)
    assert message["To"] == EMAIL
    assert message["From"] == "codes@parley.example"
    assert message["Subject"] == SUBJECT == "Your Parley code"
    assert message["Message-ID"].endswith("@parley.example>")
    body = message.get_content()
    assert CODE in body and PHONE in body and "10 minutes" in body


def test_a_unicode_address_is_sent_with_smtputf8(smtp_server: Any) -> None:
    handler = Recorder()
    server = smtp_server(handler, enable_SMTPUTF8=True)
    SmtpChannel(SmtpSettings("127.0.0.1", server.port, timeout=5)).deliver(PHONE, "ñoño@ejemplo.es", CODE)
    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == ["ñoño@ejemplo.es"]
    assert CODE in _received(handler).get_content()


def test_a_unicode_address_on_a_server_without_smtputf8_is_a_delivery_error(smtp_server: Any) -> None:
    handler = Recorder()
    server = smtp_server(handler, enable_SMTPUTF8=False)
    with pytest.raises(DeliveryError, match="SMTPUTF8") as caught:
        SmtpChannel(SmtpSettings("127.0.0.1", server.port, timeout=5)).deliver(PHONE, "ñoño@ejemplo.es", CODE)
    assert CODE not in str(caught.value)
    assert handler.envelopes == []


def test_a_refused_recipient_is_a_delivery_error_that_says_why_without_the_code(smtp_server: Any) -> None:
    server = smtp_server(Recorder(refuse_rcpt="550 5.1.1 No such user here"))
    with pytest.raises(DeliveryError) as caught:
        SmtpChannel(SmtpSettings("127.0.0.1", server.port, timeout=5)).deliver(PHONE, EMAIL, CODE)
    message = str(caught.value)
    assert "refused the recipient" in message and "550" in message and "No such user" in message
    assert CODE not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_server_that_quotes_the_code_back_never_gets_it_into_the_error(smtp_server: Any) -> None:
    server = smtp_server(Recorder(refuse_data=True))
    with pytest.raises(DeliveryError, match="554") as caught:
        SmtpChannel(SmtpSettings("127.0.0.1", server.port, timeout=5)).deliver(PHONE, EMAIL, CODE)
    assert "rejected: Your Parley verification code is [code]" in str(caught.value)
    assert CODE not in str(caught.value)


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_closed_port_is_a_delivery_error(smtp_server: Any) -> None:
    settings = SmtpSettings("127.0.0.1", _unused_port(), timeout=2)
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="refused the connection") as caught:
        SmtpChannel(settings).deliver(PHONE, EMAIL, CODE)
    assert time.monotonic() - started < 10 * settings.timeout
    assert CODE not in str(caught.value)


def test_a_server_that_never_answers_is_a_delivery_error_within_the_timeout() -> None:
    # The kernel completes the handshake from the backlog; nobody ever sends the SMTP greeting.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings = SmtpSettings("127.0.0.1", silent.getsockname()[1], timeout=0.5)
        started = time.monotonic()
        with pytest.raises(DeliveryError, match="did not answer in time") as caught:
            SmtpChannel(settings).deliver(PHONE, EMAIL, CODE)
        elapsed = time.monotonic() - started
    assert settings.timeout <= elapsed < 10
    assert CODE not in str(caught.value)


# --- STARTTLS and login, with a self-signed certificate made here --------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("smtp-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


class Accounts:
    def __init__(self, user: str, password: str) -> None:
        self.expected = LoginPassword(user.encode(), password.encode())
        self.attempts: list[bytes] = []

    def __call__(
        self, server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.attempts.append(auth_data.login)
        # handled=False: aiosmtpd then answers a failure with 535 itself.
        return AuthResult(success=auth_data == self.expected, handled=False)


def test_starttls_and_login_deliver_over_an_encrypted_connection(
    smtp_server: Any, certificate: tuple[Path, Path]
) -> None:
    handler, accounts = Recorder(), Accounts("parley", "relay secret")
    server = smtp_server(
        handler,
        tls_context=_server_tls(certificate),
        require_starttls=True,
        authenticator=accounts,
        auth_require_tls=True,
    )
    settings = SmtpSettings("127.0.0.1", server.port, user="parley", password="relay secret", starttls=True)
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    SmtpChannel(settings, tls_context=trust).deliver(PHONE, EMAIL, CODE)

    assert accounts.attempts == [b"parley"]
    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == [EMAIL]
    assert CODE in _received(handler).get_content()


def test_a_wrong_smtp_password_is_a_delivery_error(smtp_server: Any, certificate: tuple[Path, Path]) -> None:
    handler = Recorder()
    server = smtp_server(
        handler,
        tls_context=_server_tls(certificate),
        require_starttls=True,
        authenticator=Accounts("p", "right"),
    )
    settings = SmtpSettings("127.0.0.1", server.port, user="p", password="wrong", starttls=True)
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    with pytest.raises(DeliveryError, match="refused the login") as caught:
        SmtpChannel(settings, tls_context=trust).deliver(PHONE, EMAIL, CODE)
    assert "wrong" not in str(caught.value) and CODE not in str(caught.value)
    assert handler.envelopes == []


def test_an_untrusted_certificate_stops_delivery_before_anything_is_sent(
    smtp_server: Any, certificate: tuple[Path, Path]
) -> None:
    handler = Recorder()
    server = smtp_server(handler, tls_context=_server_tls(certificate), require_starttls=True)
    settings = SmtpSettings("127.0.0.1", server.port, starttls=True, timeout=5)
    # The system trust store does not know the self-signed certificate.
    with pytest.raises(DeliveryError, match="TLS") as caught:
        SmtpChannel(settings).deliver(PHONE, EMAIL, CODE)
    assert CODE not in str(caught.value)
    assert handler.envelopes == []


def test_starttls_against_a_server_without_it_is_a_delivery_error(smtp_server: Any) -> None:
    server = smtp_server(Recorder())
    with pytest.raises(DeliveryError, match="STARTTLS"):
        SmtpChannel(SmtpSettings("127.0.0.1", server.port, starttls=True, timeout=5)).deliver(
            PHONE, EMAIL, CODE
        )


# --- settings, the command line and the factory ---------------------------------------------------


def test_settings_never_show_the_password() -> None:
    settings = SmtpSettings("smtp.example.com", 587, user="parley", password="relay secret", starttls=True)
    assert "relay secret" not in repr(settings) and "relay secret" not in str(settings)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"host": ""}, "host"),
        ({"host": "smtp.example.com", "port": 0}, "port"),
        ({"host": "smtp.example.com", "port": 70000}, "port"),
        ({"host": "smtp.example.com", "timeout": 0}, "timeout"),
        ({"host": "smtp.example.com", "user": "parley", "password": "x"}, "unencrypted"),
    ],
)
def test_settings_that_do_not_fit_are_refused_at_start(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        SmtpSettings(**options)


def test_login_without_tls_is_allowed_only_on_loopback() -> None:
    assert SmtpSettings("127.0.0.1", user="parley", password="x").user == "parley"
    assert SmtpSettings("localhost", user="parley", password="x").user == "parley"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_smtp_arguments(parser)
    return parser.parse_args(argv)


def test_smtp_options_become_settings_with_the_password_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARLEY_SMTP_PASSWORD", "relay secret")
    argv = "--smtp-host smtp.example.com --smtp-port 587 --smtp-user parley --smtp-from codes@example.com"
    args = _parse([*argv.split(), "--smtp-starttls"])
    assert smtp_settings_from_args(args) == SmtpSettings(
        host="smtp.example.com",
        port=587,
        user="parley",
        password="relay secret",
        sender="codes@example.com",
        starttls=True,
    )


def test_smtp_options_have_sensible_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARLEY_SMTP_PASSWORD", raising=False)
    assert smtp_settings_from_args(_parse([])) is None
    assert smtp_settings_from_args(_parse(["--smtp-host", "127.0.0.1"])) == SmtpSettings("127.0.0.1")


def test_the_password_cannot_be_given_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parse(["--smtp-host", "smtp.example.com", "--smtp-password", "relay secret"])
    assert "unrecognized arguments" in capsys.readouterr().err


def test_a_user_without_a_password_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARLEY_SMTP_PASSWORD", raising=False)
    with pytest.raises(ValueError, match="PARLEY_SMTP_PASSWORD"):
        smtp_settings_from_args(
            _parse(["--smtp-host", "smtp.example.com", "--smtp-user", "p", "--smtp-starttls"])
        )


def test_make_channel_builds_each_kind(tmp_path: Path) -> None:
    smtp = SmtpSettings("127.0.0.1")
    channels: dict[str, CodeChannel] = {
        kind: make_channel(kind, data_dir=tmp_path, smtp=smtp) for kind in CHANNEL_KINDS
    }
    assert isinstance(channels["console"], ConsoleChannel)
    assert isinstance(channels["file"], FileChannel) and channels["file"].outbox_dir == tmp_path / "outbox"
    assert isinstance(channels["smtp"], SmtpChannel) and channels["smtp"].settings == smtp
    assert {kind: channel.name for kind, channel in channels.items()} == {k: k for k in CHANNEL_KINDS}


def test_make_channel_refuses_what_it_cannot_build(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--smtp-host"):
        make_channel("smtp", data_dir=tmp_path)
    with pytest.raises(ValueError, match="console, file, smtp"):
        make_channel("carrier pigeon", data_dir=tmp_path)


def test_the_module_neither_logs_nor_prints() -> None:
    # Codes reach only their recipient; the console channel writes to its stream, never through print.
    module = Path(__file__).resolve().parents[3] / "net" / "server" / "verification.py"
    source = module.read_text(encoding="utf-8")
    assert "import logging" not in source and "print(" not in source
