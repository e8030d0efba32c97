"""``python main.py bench --attachment-size 10MiB``: a file up and down through Parley, beside raw TLS.

In one run, on one machine: a server (``python main.py server``, a process of its
own, with ``--sync full``), a raw TLS peer (:mod:`net.bench.raw_stream`) and a text
probe (:mod:`net.bench.text_probe`, two other logged-in people texting each other
all along, in a process of their own). Each round moves the same file four ways,
A/B in alternating order (Parley first in even rounds, raw first in odd ones):

* **Parley upload**: seal the file with :mod:`crypto_core.stream` under a fresh key,
  ``blob_start``, the sealed pieces as ``blob_put`` with a window in flight, and
  ``blob_finish``, answered once the blob is synced: timed to that answer;
* **Parley download**, by another account: ``blob_get`` pieces with a window in
  flight, each opened as it comes and checked against the file;
* **raw upload / download**: the same number of bytes (the sealed size) through one
  TLS 1.3 connection to the raw peer, nothing else.

Each round also has an idle window of the same length as its Parley transfers, and
the probe's texts are split by when they were sent: during a Parley transfer, or
during an idle window. The figures are medians over the rounds (MB/s of the file,
10^6 bytes), the ratio is Parley's median over raw's, and the latencies are
percentiles over every text of a kind.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crypto_core.stream import sealed_size
from net.bench.blob_client import BlobClient, Transfer, sealed_pieces
from net.bench.raw_stream import RawPeer
from net.bench.results import _finite
from net.bench.runner import ServerProcess, temporary_data_dir, unique_phones
from net.bench.stats import LatencySummary
from net.bench.text_probe import TextProbe
from net.protocol.blobs import BLOB_PIECE, BLOB_WINDOW

Progress = Callable[[str], None]
#: The issue's target: Parley's throughput over raw TLS's.
TARGET_RATIO = 0.5
KINDS = ("parley upload", "raw upload", "parley download", "raw download")


@dataclass(frozen=True)
class AttachmentOptions:
    size: int = 10 * 1024 * 1024
    rounds: int = 5
    window: int = BLOB_WINDOW
    text_rate: float = 200.0  # texts per second between the two other people
    sync: str = "full"


@dataclass
class AttachmentReport:
    size: int
    sealed: int
    rounds: int
    window: int
    piece: int
    #: MB/s per kind, one per round, in round order.
    mb_per_second: dict[str, list[float]] = field(default_factory=dict)
    texts_during_transfers: LatencySummary = field(default_factory=lambda: LatencySummary.of([]))
    texts_idle: LatencySummary = field(default_factory=lambda: LatencySummary.of([]))
    texts_lost: int = 0
    texts_refused: int = 0
    notes: list[str] = field(default_factory=list)

    def median(self, kind: str) -> float:
        values = self.mb_per_second.get(kind, [])
        return statistics.median(values) if values else float("nan")

    def ratio(self, direction: str) -> float:
        raw = self.median(f"raw {direction}")
        return self.median(f"parley {direction}") / raw if raw > 0 else float("nan")

    @property
    def clean(self) -> bool:
        return self.texts_lost == 0 and self.texts_refused == 0

    def to_json(self) -> dict[str, Any]:
        figures = {
            **asdict(self),
            "medians_mb_per_second": {kind: self.median(kind) for kind in KINDS},
            "ratio_to_raw": {d: self.ratio(d) for d in ("upload", "download")},
            "target_ratio": TARGET_RATIO,
            "clean": self.clean,
        }
        return {key: _finite(value) for key, value in figures.items()}


class _Windows:
    """When each kind of work ran (monotonic seconds), to sort the probe's texts by."""

    def __init__(self) -> None:
        self.transfers: list[tuple[float, float]] = []
        self.idle: list[tuple[float, float]] = []

    @staticmethod
    def holds(windows: list[tuple[float, float]], at: float) -> bool:
        return any(start <= at < end for start, end in windows)


def run_attachment_bench(options: AttachmentOptions, progress: Progress) -> AttachmentReport:
    if options.size < 1:
        raise ValueError("--attachment-size must be at least 1 byte")
    plaintext = os.urandom(options.size)
    sealed = b"".join(
        sealed_pieces(os.urandom(32), plaintext)
    )  # what raw TLS carries: bytes of the same kind
    report = AttachmentReport(
        options.size, sealed_size(options.size), options.rounds, options.window, BLOB_PIECE
    )
    report.mb_per_second = {kind: [] for kind in KINDS}
    windows = _Windows()
    with temporary_data_dir() as folder:
        progress("starting the server, the raw TLS peer and the text probe…")
        server = ServerProcess(Path(folder), sync=options.sync)
        raw = probe = None
        try:
            raw = RawPeer()
            phones = unique_phones(4)
            uploader, downloader = BlobClient(server.address), BlobClient(server.address)
            uploader.register_and_login(phones[0])
            downloader.register_and_login(phones[1])
            probe = TextProbe(server.address, (phones[2], phones[3]), options.text_rate)
            work = (uploader, downloader, raw, plaintext, sealed, options)
            _round(*work, None, windows)  # a warm-up, not counted
            for number in range(options.rounds):
                progress(f"round {number + 1} of {options.rounds}…")
                _round(*work, report, windows, raw_first=number % 2 == 1)
            texts = probe.finish()
            probe = None
            uploader.close()
            downloader.close()
        finally:
            if probe is not None:
                probe.process.kill()
            if raw is not None:
                raw.stop()
            server.stop()
    during = [ms for at, ms in texts["texts"] if windows.holds(windows.transfers, at)]
    idle = [ms for at, ms in texts["texts"] if windows.holds(windows.idle, at)]
    report.texts_during_transfers = LatencySummary.of(during)
    report.texts_idle = LatencySummary.of(idle)
    report.texts_lost = texts["unanswered"]
    report.texts_refused = texts["refused"]
    for direction in ("upload", "download"):
        if report.ratio(direction) < TARGET_RATIO:
            report.notes.append(f"{direction}: below the target of {TARGET_RATIO} of raw TLS")
    return report


def _round(
    uploader: BlobClient,
    downloader: BlobClient,
    raw: RawPeer,
    plaintext: bytes,
    sealed: bytes,
    options: AttachmentOptions,
    report: AttachmentReport | None,
    windows: _Windows,
    *,
    raw_first: bool = False,
) -> None:
    uploaded: list[Transfer] = []

    def parley_up() -> float:
        start = time.monotonic()
        uploaded.append(uploader.upload(plaintext, window=options.window))
        windows.transfers.append((start, time.monotonic()))
        return uploaded[0].mb_per_second

    def parley_down() -> float:
        start = time.monotonic()
        got = downloader.download(uploaded[0].blob, uploaded[0].key, plaintext, window=options.window)
        windows.transfers.append((start, time.monotonic()))
        uploader.call("blob_delete", blob=uploaded[0].blob)
        return got.mb_per_second

    def raw_up() -> float:
        return len(plaintext) / raw.upload(sealed, BLOB_PIECE) / 1e6

    def raw_down() -> float:
        return len(plaintext) / raw.download(len(sealed)) / 1e6

    steps: list[tuple[str, Callable[[], float]]] = [
        ("parley upload", parley_up),
        ("raw upload", raw_up),
        ("parley download", parley_down),
        ("raw download", raw_down),
    ]
    if raw_first:
        steps = [steps[1], steps[0], steps[3], steps[2]]
    began = len(windows.transfers)
    results = {kind: step() for kind, step in steps}
    busy = sum(end - start for start, end in windows.transfers[began:])
    start = time.monotonic()
    time.sleep(busy)  # an idle window as long as the transfers, for the texts sent without one
    windows.idle.append((start, time.monotonic()))
    if report is not None:
        for kind, value in results.items():
            report.mb_per_second[kind].append(value)


def format_attachment_report(report: AttachmentReport, header: list[str]) -> str:
    mib = report.size / 2**20
    lines = [
        *header,
        "",
        f"a {mib:,.1f} MiB file ({report.sealed:,} bytes sealed), {report.rounds} rounds, A/B alternating,"
        f" pieces of {report.piece // 1024} KiB, {report.window} in flight",
        f"{'':<28}{'upload MB/s':>14}{'download MB/s':>16}",
    ]
    for target, title in (("parley", "Parley (sealed, TLS, synced)"), ("raw", "raw TLS stream")):
        up, down = report.median(f"{target} upload"), report.median(f"{target} download")
        lines.append(f"{title:<28}{up:>14.1f}{down:>16.1f}")
    lines.append(f"{'Parley / raw':<28}{report.ratio('upload'):>14.2f}{report.ratio('download'):>16.2f}")
    for title, summary in (
        ("texts while idle", report.texts_idle),
        ("texts during transfers", report.texts_during_transfers),
    ):
        lines.append(
            f"{title}, ms ({summary.count}):"
            f" p50 {summary.p50:.1f}, p99 {summary.p99:.1f}, max {summary.max:.1f}"
        )
    if report.texts_lost or report.texts_refused:
        lines.append(f"texts lost: {report.texts_lost}, refused: {report.texts_refused}")
    lines.extend(f"note: {note}" for note in report.notes)
    return "\n".join(lines)
