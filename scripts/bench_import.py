#!/usr/bin/env python3
"""How long `verdict subscribers import` takes for a clean export of 200,000 rows and
for the same export with 2,000 invalid rows (reported, the rest imported with
--skip-invalid): reporting bad rows should cost what the bad rows cost.

    python3 scripts/bench_import.py [ROWS]

Builds the release binary; prints the median of 5 runs of each and their ratio, and
writes target/bench/import.md.
"""

import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERDICT = os.path.join(ROOT, "target", "release", "verdict")
WORK = os.path.join(ROOT, "target", "bench")


def export(path, rows, every_bad):
    with open(path, "w") as f:
        f.write("Email Address,First Name,Last Name\n")
        for i in range(rows):
            if every_bad and i % every_bad == 0:
                f.write("not-an-address-%d,Reader,%d\n" % (i, i))
            else:
                f.write("reader%07d@example.com,Reader,%d\n" % (i, i))


def run(csv_path):
    project = os.path.join(WORK, "import-project")
    shutil.rmtree(project, ignore_errors=True)
    os.makedirs(os.path.join(project, "subscribers"))
    shutil.copy(os.path.join(ROOT, "verdict.toml"), project)
    shutil.copytree(os.path.join(ROOT, "templates"), os.path.join(project, "templates"))
    start = time.monotonic()
    subprocess.run([VERDICT, "--project", project, "subscribers", "import", csv_path, "--skip-invalid"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    clean = os.path.join(WORK, "import-clean.csv")
    bad = os.path.join(WORK, "import-bad.csv")
    export(clean, rows, 0)
    export(bad, rows, 100)
    clean_s = statistics.median(run(clean) for _ in range(5))
    bad_s = statistics.median(run(bad) for _ in range(5))
    report = ("| import of %s rows | seconds (median of 5) |\n| --- | ---: |\n" % f"{rows:,}"
              + "| clean | %.2f |\n| with %s invalid rows, reported | %.2f |\n" % (clean_s, f"{rows // 100:,}", bad_s)
              + "\nRatio: %.2f\n" % (bad_s / clean_s))
    with open(os.path.join(WORK, "import.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
