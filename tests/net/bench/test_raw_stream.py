"""The raw TLS yardstick: a peer process that takes a stream and gives the same bytes back."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from net.bench.raw_stream import RawPeer
from net.server.tls import ensure_self_signed


def test_the_peer_takes_a_stream_and_sends_it_back_over_tls_1_3() -> None:
    peer = RawPeer()
    try:
        data = bytes(range(256)) * 4000
        assert peer.upload(data, 100_000) > 0
        with peer._connect() as sock:
            assert sock.version() == "TLSv1.3"
            sock.sendall(b"D" + len(data).to_bytes(8, "big"))
            received = bytearray()
            while len(received) < len(data):
                received += sock.recv(1 << 20)
        assert bytes(received) == data
        assert peer.download(len(data)) > 0
    finally:
        peer.stop()
    assert not peer.process.is_alive()


def test_the_peer_uses_a_certificate_of_the_servers_kind(tmp_path: Path) -> None:
    cert_path, _ = ensure_self_signed(tmp_path)
    servers = x509.load_pem_x509_certificate(cert_path.read_bytes())
    peer = RawPeer()
    try:
        with peer._connect() as sock:
            der = sock.getpeercert(binary_form=True)
    finally:
        peer.stop()
    assert der is not None
    peers = x509.load_der_x509_certificate(der)
    assert peers.subject == servers.subject
    assert type(peers.public_key()) is type(servers.public_key())
    assert peers.signature_hash_algorithm == servers.signature_hash_algorithm or (
        peers.signature_hash_algorithm is None and servers.signature_hash_algorithm is None
    )
