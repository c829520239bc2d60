"""Cost of differentially private publication next to the audit it publishes.

Runs the audit on a synthetic population (default 10 million people, every
registered scorer), then times the release: summing the exact aggregates to
the published tables, the OpenDP measurements, the post-processing and the
atomic write of published.json. Prints both times and their ratio (the
issue's target: publication adds under 10% to the audit's run time).

    python bench/publish.py                      # 10,000,000 people
    python bench/publish.py --size 1000000 --scorer suining
"""

from __future__ import annotations

import argparse
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--scorer", action="append", default=[])
    parser.add_argument("--population", default="china-2020")
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5, help="releases to time (the median is reported)")
    args = parser.parse_args()

    from audit.privacy.ledger import PrivacyLedger
    from audit.privacy.publish import release, write_published
    from audit.runner import RunConfig, run

    t0 = time.perf_counter()
    result = run(args.scorer or None, RunConfig(population=args.population, size=args.size, seed=0))
    audit_s = time.perf_counter() - t0
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            ledger = PrivacyLedger.in_memory(fingerprint=result.population["fingerprint"], budget_epsilon=args.epsilon)
            t0 = time.perf_counter()
            rel = release(result, ledger, epsilon=args.epsilon)
            write_published(rel.document, tmp)
            times.append(time.perf_counter() - t0)
    publish_s = sorted(times)[len(times) // 2]
    labels = ", ".join(r.label for r in result.runs)
    print(f"people: {args.size:,}; scorers: {labels}")
    print(f"audit run:   {audit_s:10.2f} s")
    print(f"publication: {publish_s:10.3f} s (median of {args.repeat}; {len(rel.entries)} OpenDP measurements)")
    print(f"ratio publication / audit: {publish_s / audit_s:.4%}")


if __name__ == "__main__":
    main()
