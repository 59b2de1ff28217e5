#!/usr/bin/env python3
"""A send window that closed before the run, at any size (run through
scripts/bench.sh expiry, which installs GNU time): a project of N readers none of
whom got the issue, its not_after in the past, and `verdict send` (release build)
that expires them all. Reports its peak memory (/usr/bin/time -v) beside that of
`verdict status` on the same project in the same run (a read of the list and the
ledger, the least any command can do), and what the run added to state/.
The issue's bar: under 32 MB peak and under 16 MB added at 500,000 readers.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

NOW = "2026-12-05T09:00:00Z"


def closed_window(project):
    path = os.path.join(project, "issues", bench.ISSUE + ".toml")
    with open(path) as f:
        text = f.read()
    text = text.replace("send_at = 2026-11-26T09:00:00+00:00",
                        "send_at = 2026-11-26T09:00:00+00:00\nnot_after = 2026-11-28T09:00:00+00:00")
    with open(path, "w") as f:
        f.write(text)


def measured(args, project):
    env = dict(os.environ, VERDICT_NOW=NOW)
    result = subprocess.run(["/usr/bin/time", "-v", bench.VERDICT, "--project", project] + args,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit("verdict %s failed:\n%s%s" % (" ".join(args), result.stdout, result.stderr))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return rss, result.stdout


def size_of(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    os.makedirs(bench.WORK, exist_ok=True)
    project = bench.make_project(n)
    closed_window(project)
    bench.reset(project)
    state = os.path.join(project, "state")
    before = size_of(state)
    send_rss, out = measured(["send"], project)
    added = size_of(state) - before
    status_rss, status = measured(["status"], project)
    lines = [
        "closed send window, %d readers pending (verdict send, release build):" % n,
        "  peak memory: verdict send %.1f MB, verdict status %.1f MB (ratio %.2f)" % (
            send_rss / 1024, status_rss / 1024, send_rss / status_rss),
        "  added to state/: %.1f KB" % (added / 1024),
        "  " + out.strip().splitlines()[-1],
        "  " + status.strip().splitlines()[0],
    ]
    print("\n".join(lines))
    with open(os.path.join(bench.WORK, "expiry.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
