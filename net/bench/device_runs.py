"""``python main.py bench --devices N``: people with N linked devices, beside people with one, in one run.

Two pools of worker processes drive the same server: one with people of one device
(exactly the default bench's clients), one with people of N devices each
(net/bench/device_setup.py links them through the server). Each round measures both,
one after the other, in alternating order (one-device first in odd rounds), so that a
slow drift of the machine favours neither. Only one pool sends at a time; the other's
connections stay logged in and quiet. The raw relay knows no devices, so it is left out.
"""

from __future__ import annotations

import contextlib

from net.bench.flows import SETUP_TIMEOUT, SPARE_FILES, Options, Progress, measure, split, start_server
from net.bench.results import Report
from net.bench.runner import WorkerPool, raise_file_limit, unique_phones
from net.protocol.devices import MAX_DEVICES

#: Every device of the bench links from this machine's address: the server's per-address limits of
#: link codes are for strangers, not for a load test (a server given with ``--server`` needs them too).
LINK_LIMITS = ("--link-opens-per-address", "1000000", "--link-joins-per-address", "1000000")


def run_devices(options: Options, progress: Progress, report: Report) -> Report:
    if options.clients < 2:
        raise ValueError("--clients must be at least 2 (clients talk in pairs)")
    if not 2 <= options.devices <= MAX_DEVICES:
        raise ValueError(f"--devices must be 1 to {MAX_DEVICES}, not {options.devices}")
    people = options.clients - options.clients % 2
    if note := raise_file_limit(people * (1 + options.devices) + SPARE_FILES):
        report.notes.append(note)
    if options.baseline:
        report.notes.append("the raw relay run is left out with --devices: the relay knows no devices")
    if options.rate is None:
        report.notes.append(
            f"closed loop: every device keeps {options.window} messages in flight, so a person of"
            f" {options.devices} devices has {options.devices} times as many under way (compare throughput;"
            " for latency at the same load, use --rate)"
        )
    with contextlib.ExitStack() as stack:
        address, pid = start_server(options, stack, progress, LINK_LIMITS)
        phones = unique_phones(2 * people)
        one_chunks = split(phones[:people], options.workers, even=True)
        device_chunks = split(phones[people:], options.workers, even=True)
        one_pool, device_pool = WorkerPool(len(one_chunks)), WorkerPool(len(device_chunks))
        stack.callback(one_pool.stop)
        stack.callback(device_pool.stop)
        progress(f"registering {people} clients and starting their sessions (PQXDH)…")
        one_pool.call(
            "setup",
            [{"address": address, "phones": chunk, "size": options.size} for chunk in one_chunks],
            timeout=SETUP_TIMEOUT,
        )
        progress(
            f"registering {people} more, linking {options.devices} devices each and starting a session"
            " per pair of devices (PQXDH)…"
        )
        device_pool.call(
            "setup_devices",
            [
                {"address": address, "phones": chunk, "size": options.size, "devices": options.devices}
                for chunk in device_chunks
            ],
            timeout=SETUP_TIMEOUT,
        )
        runs = [(one_pool, "parley", 1), (device_pool, "devices", options.devices)]
        for round in range(1, options.rounds + 1):
            for pool, target, devices in runs if round % 2 else runs[::-1]:
                phase = measure(pool, target, pid, options, people, progress, devices=devices, round=round)
                report.phases.append(phase)
        progress("stopping…")
    return report
