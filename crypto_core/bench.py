"""The cost of Parley's cryptography on this machine, beside the seed's per-message cost.

Run as ``python -m crypto_core.bench`` (``--json`` for machine-readable output,
``--quick`` for one short repetition of each, as the tests do). Every figure is
the median over several repetitions of the time per operation within a repetition.

What is measured:

* a ratchet message (encrypt + decrypt) in one chain, without a DH step;
* a ratchet message where the reply turns the DH ratchet every time;
* a PQXDH session start (initiate + respond, with a one-time prekey);
* a profile unlock (Argon2id with the default parameters, then AES-256-GCM);
* a sealed stream of 1 MiB (:mod:`crypto_core.stream`, 16 chunks of 64 KiB), sealed and opened,
  in memory: the cryptography's share of a backup or a file transfer;
* the seed's way, per message: a fresh P-256 key and ECDH, PBKDF2-HMAC-SHA256 with
  1,000,000 iterations, AES-CBC to wrap a fresh AES key and AES-CBC for the text;
  then ECDH, PBKDF2, unwrap and decrypt to read it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend as openssl_backend
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from crypto_core import sealing, stream
from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, PreKeyBundle, SignedPreKey
from crypto_core.pqxdh import initiate, respond
from crypto_core.ratchet import RatchetSession

PAYLOAD = b"A typical chat message of about a hundred bytes, which is what people mostly send. Fine?"
SEED_PBKDF2_ITERATIONS = 1_000_000
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
_DECIMALS = {"us": 1, "ms": 2, "s": 3}


@dataclass(frozen=True)
class Measurement:
    key: str
    label: str
    median_seconds: float
    unit: str
    repetitions: int
    operations: int
    target_seconds: float | None = None

    @property
    def in_unit(self) -> float:
        return self.median_seconds / _UNITS[self.unit]

    @property
    def meets_target(self) -> bool | None:
        return None if self.target_seconds is None else self.median_seconds <= self.target_seconds


Operation = Callable[[], None]


def median_per_operation(prepare: Callable[[], Operation], repetitions: int, operations: int) -> float:
    """Median over ``repetitions`` of the time per call of a freshly prepared operation (set-up untimed)."""
    times = []
    for _ in range(repetitions):
        operation = prepare()
        start = time.perf_counter()
        for _ in range(operations):
            operation()
        times.append((time.perf_counter() - start) / operations)
    return statistics.median(times)


# ------------------------------------------------------------------ Parley


def _session_pair() -> tuple[RatchetSession, RatchetSession]:
    shared, ad = os.urandom(32), os.urandom(128)
    bob_key = SignedPreKey.generate(IdentityKeyPair.generate(), key_id=1, created_at=0).private
    alice = RatchetSession.initiator(shared, ad, bob_key.public_key().public_bytes_raw())
    bob = RatchetSession.responder(shared, ad, bob_key)
    bob.decrypt(alice.encrypt(PAYLOAD))
    return alice, bob


def ratchet_in_one_chain() -> Operation:
    alice, bob = _session_pair()

    def message() -> None:
        bob.decrypt(alice.encrypt(PAYLOAD))

    return message


def ratchet_with_dh_steps() -> Operation:
    """Each message answers the previous one, so every decrypt turns the DH ratchet."""
    alice, bob = _session_pair()
    turns = [(bob, alice), (alice, bob)]

    def message() -> None:
        sender, receiver = turns[0]
        receiver.decrypt(sender.encrypt(PAYLOAD))
        turns.reverse()

    return message


def pqxdh_start() -> Operation:
    alice, bob = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    signed = SignedPreKey.generate(bob, key_id=1, created_at=0)
    kem = KemPreKey.generate(bob, key_id=2, last_resort=False)
    otk = OneTimePreKey.generate(key_id=3)
    bundle = PreKeyBundle(bob.public, signed.public(), kem.public(), otk.public())

    def start() -> None:
        started = initiate(alice, bundle)
        respond(bob, started.initial_message, signed_prekey=signed, kem_prekey=kem, one_time_prekey=otk)

    return start


def profile_unlock() -> Operation:
    _sealer, wrapped = sealing.create("correct horse battery staple")

    def unlock() -> None:
        sealing.unlock("correct horse battery staple", wrapped)

    return unlock


def stream_mib() -> Operation:
    key, plaintext = os.urandom(32), os.urandom(1024 * 1024)

    def seal_and_open() -> None:
        encryptor = stream.StreamEncryptor(key, b"bench")
        sealed = encryptor.header + encryptor.update(plaintext) + encryptor.finalize()
        decryptor = stream.StreamDecryptor(key, b"bench")
        if decryptor.update(sealed) + decryptor.finalize() != plaintext:
            raise AssertionError("the stream did not open to its plaintext")

    return seal_and_open


# ------------------------------------------------------------------ the seed


def _cbc(key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    if encrypt:
        padder = padding.PKCS7(128).padder()
        context = cipher.encryptor()
        return context.update(padder.update(data) + padder.finalize()) + context.finalize()
    context = cipher.decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    padded = context.update(data) + context.finalize()
    return unpadder.update(padded) + unpadder.finalize()


def _seed_kek(shared: bytes, salt: bytes) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=SEED_PBKDF2_ITERATIONS)
    return kdf.derive(shared)


def seed_message() -> Operation:
    recipient = ec.generate_private_key(ec.SECP256R1())

    def message() -> None:
        sender = ec.generate_private_key(ec.SECP256R1())
        salt, key_iv, text_iv, aes_key = os.urandom(16), os.urandom(16), os.urandom(16), os.urandom(32)
        kek = _seed_kek(sender.exchange(ec.ECDH(), recipient.public_key()), salt)
        wrapped = _cbc(kek, key_iv, aes_key, encrypt=True)
        ciphertext = _cbc(aes_key, text_iv, PAYLOAD, encrypt=True)

        kek = _seed_kek(recipient.exchange(ec.ECDH(), sender.public_key()), salt)
        unwrapped = _cbc(kek, key_iv, wrapped, encrypt=False)
        if _cbc(unwrapped, text_iv, ciphertext, encrypt=False) != PAYLOAD:
            raise AssertionError("the seed's round trip lost the message")

    return message


# ------------------------------------------------------------------ report


def run(*, quick: bool = False) -> list[Measurement]:
    def plan(full: tuple[int, int], short: tuple[int, int]) -> tuple[int, int]:
        return short if quick else full

    params = sealing.DEFAULT_PARAMS
    rows = [
        (
            "ratchet",
            "ratchet message, no DH step",
            ratchet_in_one_chain,
            "us",
            plan((9, 2000), (1, 50)),
            50e-6,
        ),
        (
            "ratchet_dh",
            "ratchet message, with a DH step",
            ratchet_with_dh_steps,
            "us",
            plan((9, 400), (1, 10)),
            0.5e-3,
        ),
        (
            "pqxdh",
            "PQXDH session start (initiate + respond)",
            pqxdh_start,
            "ms",
            plan((9, 100), (1, 3)),
            2e-3,
        ),
        (
            "unlock",
            f"profile unlock (Argon2id {params.memory_kib // 1024} MiB, "
            f"t={params.iterations}, p={params.lanes})",
            profile_unlock,
            "s",
            plan((7, 1), (1, 1)),
            None,
        ),
        (
            "stream",
            "sealed stream of 1 MiB (seal + open)",
            stream_mib,
            "ms",
            plan((9, 20), (1, 1)),
            None,
        ),
        (
            "seed",
            "seed: one message (P-256, PBKDF2 1M, AES-CBC)",
            seed_message,
            "s",
            plan((5, 1), (1, 1)),
            None,
        ),
    ]
    return [
        Measurement(key, label, median_per_operation(fn, reps, ops), unit, reps, ops, target)
        for key, label, fn, unit, (reps, ops), target in rows
    ]


def ratios(results: list[Measurement]) -> dict[str, float]:
    """How many times the seed's per-message cost each Parley message costs."""
    by_key = {m.key: m for m in results}
    seed = by_key["seed"].median_seconds
    return {key: seed / by_key[key].median_seconds for key in ("ratchet", "ratchet_dh")}


def environment() -> dict[str, str | int | None]:
    return {
        "python": platform.python_version(),
        "cryptography": cryptography.__version__,
        "openssl": openssl_backend.openssl_version_text(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def format_table(results: list[Measurement]) -> str:
    ratio = ratios(results)
    lines = [
        "Parley crypto benchmark: medians per operation (runs = repetitions x operations each)",
        ", ".join(f"{k} {v}" for k, v in environment().items()),
        "",
        f"{'measure':<52} {'median':>12} {'target':>10} {'runs':>9} {'seed/Parley':>12}",
    ]
    for m in results:
        target = "-" if m.target_seconds is None else f"{m.target_seconds / _UNITS[m.unit]:g} {m.unit}"
        if m.meets_target is False:
            target += " (over)"
        times = f"{ratio[m.key]:,.0f}x" if m.key in ratio else ""
        median = f"{m.in_unit:,.{_DECIMALS[m.unit]}f} {m.unit}"
        lines.append(
            f"{m.label:<52} {median:>12} {target:>10} {m.repetitions:>4}x{m.operations:<4} {times:>12}"
        )
    return "\n".join(lines)


def to_json(results: list[Measurement]) -> dict[str, object]:
    return {
        "environment": environment(),
        "results": [asdict(m) | {"meets_target": m.meets_target} for m in results],
        "seed_over_parley": ratios(results),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crypto_core.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="one short repetition of each (for tests)")
    args = parser.parse_args(argv)
    results = run(quick=args.quick)
    print(json.dumps(to_json(results), indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
