"""Timings for the crypto core: a script that prints figures, not a test.

    .venv/bin/python bench/crypto_bench.py [--stream-mb 50]

Receipt derivation is what every reporter login costs the server (and what every guess costs
an attacker); envelope, stream and bundle figures bound the portal's and the inbox's work.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crypto import bundle, envelope, keys, receipt, stream

MIB = 1024 * 1024


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of ``runs`` timings, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def row(name: str, seconds: float, extra: str = "") -> None:
    print(f"{name:<44} {seconds * 1000:10.2f} ms  {extra}")


def bench_receipt() -> None:
    text, salt = receipt.generate_receipt(), os.urandom(receipt.SALT_BYTES)
    row(
        "receipt derivation (argon2id 64 MiB, ops 3)",
        best_of(5, lambda: receipt.derive_receipt_keys(text, salt)),
    )


def bench_envelopes() -> None:
    office, committee = keys.SecretIdentity.generate(), keys.SecretIdentity.generate()
    pks = [office.public.encryption_key, committee.public.encryption_key]
    for label, size in (("1 KB", 1000), ("1 MB", 1_000_000)):
        data = os.urandom(size)
        sealed = envelope.seal(data, pks)
        seal_time = best_of(20, partial(envelope.seal, data, pks))
        open_time = best_of(
            20, partial(envelope.open_envelope, sealed, pks[1], committee.encryption_secret)
        )
        row(f"envelope seal {label}, 2 recipients", seal_time)
        row(f"envelope open {label}", open_time)


def bench_stream(megabytes: int) -> None:
    key, size = stream.new_key(), megabytes * 1_000_000
    piece = os.urandom(MIB)
    pieces = [piece] * (size // MIB) + [piece[: size % MIB]]
    start = time.perf_counter()
    cipher = list(stream.encrypt_stream(key, pieces))
    enc = time.perf_counter() - start
    start = time.perf_counter()
    total = sum(len(p) for p in stream.decrypt_stream(key, size, cipher))
    dec = time.perf_counter() - start
    assert total == size
    row(f"stream encrypt {megabytes} MB", enc, f"{megabytes / enc:8.1f} MB/s")
    row(f"stream decrypt {megabytes} MB", dec, f"{megabytes / dec:8.1f} MB/s")


def bench_bundles() -> None:
    portal = keys.SecretIdentity.generate()
    threads = tuple(
        bundle.InboundThread(f"thread-{i:08d}", os.urandom(32), "2025-01-01", "received")
        for i in range(20)
    )
    items = tuple(
        bundle.InboundItem(
            f"item-{i:08d}",
            f"thread-{i:08d}",
            "report",
            "2025-01-01",
            os.urandom(4096),
            (bundle.Blob(f"blob-{i:08d}", os.urandom(64 * 1024)),),
        )
        for i in range(20)
    )
    inbound = bundle.InboundBundle("2025-01-02", 0, threads, items)
    data = bundle.write_inbound(inbound, portal)
    verify = portal.public.verify_key
    row(
        "bundle write, 20 items (4 KB + 64 KB each)",
        best_of(10, lambda: bundle.write_inbound(inbound, portal)),
        f"{len(data) / 1e6:.1f} MB",
    )
    row("bundle read, 20 items", best_of(10, lambda: bundle.read_inbound(data, verify)))


def bench_secret_key() -> None:
    ident = keys.SecretIdentity.generate()
    text = keys.lock_identity(ident, "korrekt hest batteri stift")
    row(
        "secret key unlock (argon2id 256 MiB, ops 3)",
        best_of(3, lambda: keys.unlock_identity(text, "korrekt hest batteri stift")),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Time Varsel's crypto core.")
    parser.add_argument("--stream-mb", type=int, default=50, help="stream size in MB")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs (best of several runs)")
    bench_receipt()
    bench_envelopes()
    bench_stream(args.stream_mb)
    bench_bundles()
    bench_secret_key()


if __name__ == "__main__":
    main()
