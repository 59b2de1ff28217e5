#!/usr/bin/env python3
"""Two relays against one (run through scripts/bench.sh relays, which installs
smtp-sink): a project of N subscribers sent through two smtp-sinks on 127.0.0.1
as [[relay]] tables of weights 3 and 1 (concurrency 3C/4 and C/4, as one would
give them), and through one smtp-sink at concurrency C. Reports each relay's share of the deliveries (from
state/relays.json) and the throughput of both set-ups, median of 3 runs.
"""

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

TOTAL_CONCURRENCY = int(os.environ.get("BENCH_RELAY_CONCURRENCY", "16"))
RUNS = 3


def with_relays(project, relays):
    config = os.path.join(project, "verdict.toml")
    with open(os.path.join(bench.ROOT, "verdict.toml")) as f:
        text = f.read()
    for name, port, weight, concurrency in relays:
        text += '\n[[relay]]\nname = "%s"\ntransport = "smtp://127.0.0.1:%d"\nweight = %d\nconcurrency = %d\nrate = 0\n' % (
            name, port, weight, concurrency)
    with open(config, "w") as f:
        f.write(text)


def send(project):
    bench.reset(project)
    start = time.monotonic()
    result = subprocess.run([bench.VERDICT, "--project", project, "send", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit("verdict send failed:\n" + result.stdout + result.stderr)
    with open(os.path.join(project, "state", "relays.json")) as f:
        delivered = json.load(f)["delivered"]
    return elapsed, delivered


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    os.makedirs(bench.WORK, exist_ok=True)
    project = bench.make_project(n)
    first, second = bench.Sink(), bench.Sink()
    try:
        light = TOTAL_CONCURRENCY // 4
        heavy = TOTAL_CONCURRENCY - light
        with_relays(project, [("heavy", first.port, 3, heavy), ("light", second.port, 1, light)])
        two = [send(project) for _ in range(RUNS)]
        with_relays(project, [("only", first.port, 1, TOTAL_CONCURRENCY)])
        one = [send(project) for _ in range(RUNS)]
    finally:
        first.stop()
        second.stop()
    shares = [d["heavy"] / (d["heavy"] + d["light"]) for _, d in two]
    for _, d in two:
        assert d["heavy"] + d["light"] == n, d
    two_rate = n / statistics.median(t for t, _ in two)
    one_rate = n / statistics.median(t for t, _ in one)
    worst = max(abs(s - 0.75) for s in shares)
    lines = [
        "| set-up | concurrency | msg/s (median of %d) | heavy relay's share |" % RUNS,
        "| --- | ---: | ---: | ---: |",
        "| one relay | %d | %.0f | |" % (TOTAL_CONCURRENCY, one_rate),
        "| two relays, weights 3 and 1 | %d + %d | %.0f | %s |" % (
            heavy, light, two_rate, ", ".join("%.2f %%" % (s * 100) for s in shares)),
        "",
        "N = %s; largest distance from 75 %%: %.2f percentage points; two relays / one relay: %.2f"
        % (f"{n:,}", worst * 100, two_rate / one_rate),
    ]
    report = "\n".join(lines) + "\n"
    with open(os.path.join(bench.WORK, "relays.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
