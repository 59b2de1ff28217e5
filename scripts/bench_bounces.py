#!/usr/bin/env python3
"""Reading bounce reports: a project of 100,000 subscribers and a Maildir of
10,000 reports made from the fixtures in tests/fixtures/bounces (Postfix hard
bounces, Gmail DSNs matched by Message-ID, Yahoo complaints, Postfix delay
warnings), each about another reader. Times `verdict bounces import` (release
build) on the Maildir, then again when every report was read before.

    python3 scripts/bench_bounces.py [REPORTS] [SUBSCRIBERS]
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

FIXTURES = os.path.join(bench.ROOT, "tests", "fixtures", "bounces")
TEMPLATES = [
    ("postfix-user-unknown.eml", "analytics@example.com", "20261126090004.4F1A22C0B3F@mail.example.com"),
    ("gmail-no-such-user.eml", "design@example.org", "6745b1c4.050a0220.3c1f1e.0001.GMR@mx.google.com"),
    ("arf-yahoo.eml", "infra@example.com", "1795687200.4829.yahoo@arf.mail.yahoo.com"),
    ("postfix-delayed.eml", "backend@example.com", "20261126130004.8B2D11C0A21@mail.example.com"),
]


def message_id(email):
    digest = hashlib.sha256(bench.ISSUE.encode() + b"\0" + email.encode()).hexdigest()[:24]
    return "%s.%s@example.com" % (bench.ISSUE, digest)


def make_maildir(path, reports, subscribers):
    shutil.rmtree(path, ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub))
    templates = []
    for name, reader, report_id in TEMPLATES:
        with open(os.path.join(FIXTURES, name)) as f:
            templates.append((f.read(), reader, report_id))
    for i in range(reports):
        text, reader, report_id = templates[i % len(templates)]
        email = "reader%07d@example.com" % ((i * 7919) % subscribers)
        body = (text.replace(message_id(reader), message_id(email))
                .replace(reader, email)
                .replace(report_id, "bench-%d-%s" % (i, report_id)))
        with open(os.path.join(path, "new", "%010d.M%dP1.bench" % (1795683600 + i, i)), "w") as f:
            f.write(body)


def run(project, maildir):
    start = time.monotonic()
    result = subprocess.run([bench.VERDICT, "--project", project, "bounces", "import", maildir],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit("verdict bounces import failed:\n" + result.stdout + result.stderr)
    return elapsed, result.stdout


def main():
    reports = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    subscribers = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=bench.ROOT, check=True)
    os.makedirs(bench.WORK, exist_ok=True)
    project = bench.make_project(subscribers)
    maildir = os.path.join(bench.WORK, "bounces-maildir")
    make_maildir(maildir, reports, subscribers)
    first, summary = run(project, maildir)
    again, _ = run(project, maildir)
    lines = [
        "| reports | subscribers | first read | read again (all seen) |",
        "| ---: | ---: | ---: | ---: |",
        "| %s | %s | %.2f s | %.2f s |" % (f"{reports:,}", f"{subscribers:,}", first, again),
        "",
        "```",
        summary.rstrip(),
        "```",
    ]
    report = "\n".join(lines) + "\n"
    with open(os.path.join(bench.WORK, "bounces.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
