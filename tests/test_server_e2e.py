"""The four protocols of the seed, end to end: a real server on loopback, real TLS, a real SQLite file."""

from __future__ import annotations

import base64

from conftest import InProcessServer, fresh_phone
from wire_client import Person

from crypto_core.keys import PreKeyBundle


def test_registration_login_send_and_fetch(server: InProcessServer) -> None:
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    a, b = server.connect(), server.connect()
    assert a.call("hello", version=1)["server"] == "parley"
    assert alice.register(a, server.codes) == {"phone": alice.phone, "replaced": False}
    assert bob.register(b, server.codes)["replaced"] is False
    assert alice.login(a)["queued"] == 0
    bundle = PreKeyBundle.from_json(a.call("get_bundle", phone=bob.phone)["bundle"])
    bundle.verify()
    assert bundle.identity == bob.identity.public
    sent = a.call("send", to=bob.phone, client_id="m1", body=b"ciphertext")
    assert sent["duplicate"] is False
    assert bob.login(b)["queued"] == 1
    page = b.call("fetch")
    assert [m["id"] for m in page["messages"]] == [sent["id"]]
    message = page["messages"][0]
    assert message["from"] == alice.phone
    assert base64.b64decode(message["body"]) == b"ciphertext"
    assert b.call("ack", ids=[sent["id"]]) == {"deleted": 1}
    assert b.call("fetch") == {"messages": [], "more": False}
