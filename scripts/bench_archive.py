#!/usr/bin/env python3
"""How long `verdict archive` takes for 1,000 published issues, and a rerun with
nothing changed (which must rewrite no file).

    python3 scripts/bench_archive.py [ISSUES]

Builds the release binary; makes a project with ISSUES copies of the demo issue,
one a day back from the demo's date; times the first build and the median of 5
reruns; checks that the reruns wrote nothing; writes target/bench/archive.md.
"""

import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERDICT = os.path.join(ROOT, "target", "release", "verdict")
WORK = os.path.join(ROOT, "target", "bench")
ISSUE = "2026-11-26-axolotl-vs-mistral-medium-3"


def make_project(n):
    path = os.path.join(WORK, "archive-project")
    shutil.rmtree(path, ignore_errors=True)
    for part in ["templates", "subscribers"]:
        shutil.copytree(os.path.join(ROOT, part), os.path.join(path, part))
    shutil.copy(os.path.join(ROOT, "verdict.toml"), path)
    os.makedirs(os.path.join(path, "issues"))
    with open(os.path.join(ROOT, "issues", ISSUE + ".toml")) as f:
        demo = f.read()
    day = datetime.date(2026, 11, 26)
    for i in range(n):
        date = day - datetime.timedelta(days=i)
        text = re.sub(r"send_at = .*", "send_at = %sT09:00:00+00:00" % date.isoformat(), demo)
        text = text.replace('name = "Axolotl"', 'name = "Axolotl %d"' % i)
        with open(os.path.join(path, "issues", "%s-comparison-%d.toml" % (date.isoformat(), i)), "w") as f:
            f.write(text)
    return path


def archive(project):
    start = time.monotonic()
    result = subprocess.run([VERDICT, "--project", project, "archive"], check=True,
                            stdout=subprocess.PIPE, text=True)
    return time.monotonic() - start, result.stdout.strip().splitlines()[-1]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    project = make_project(n)
    first, first_summary = archive(project)
    reruns = []
    for _ in range(5):
        seconds, summary = archive(project)
        if " 0 file(s) written" not in summary:
            raise SystemExit("a rerun wrote files: " + summary)
        reruns.append(seconds)
    rerun = statistics.median(reruns)
    report = ("| %s published issues | seconds |\n| --- | ---: |\n" % f"{n:,}"
              + "| first build | %.2f |\n| rerun, nothing changed (median of 5) | %.3f |\n" % (first, rerun)
              + "\nFirst build: %s\nRerun: %s; ratio %.2f\n" % (first_summary, summary, rerun / first))
    with open(os.path.join(WORK, "archive.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
