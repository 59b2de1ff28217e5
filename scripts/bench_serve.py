#!/usr/bin/env python3
"""How fast `verdict serve` records one-click unsubscribes with a small suppression
list and with a large one (300,000 addresses by default), in one run.

    python3 scripts/bench_serve.py [N_SUPPRESSED] [REQUESTS]

Builds the release binary first (cargo build --release). For each size: a copy of
the demo project whose suppression list holds that many addresses, `verdict serve`
on 127.0.0.1, and REQUESTS distinct one-click unsubscribes (signed links made with
the same HMAC as verdict's) POSTed by 4 client threads over kept-alive connections.
Prints the rates and their ratio, and writes target/bench/serve.md.
"""

import base64
import concurrent.futures
import hashlib
import hmac
import http.client
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERDICT = os.path.join(ROOT, "target", "release", "verdict")
WORK = os.path.join(ROOT, "target", "bench")
SECRET = "bench-serve-secret-0123456789"
THREADS = 4


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def link_path(email):
    token = b64(hmac.new(SECRET.encode(), email.encode(), hashlib.sha256).digest())
    return "/unsubscribe?u=%s&t=%s" % (b64(email.encode()), token)


def make_project(n_suppressed):
    path = os.path.join(WORK, "serve-%d" % n_suppressed)
    shutil.rmtree(path, ignore_errors=True)
    for part in ["templates", "issues", "subscribers"]:
        shutil.copytree(os.path.join(ROOT, part), os.path.join(path, part))
    shutil.copy(os.path.join(ROOT, "verdict.toml"), path)
    with open(os.path.join(path, "subscribers", "suppressed.csv"), "w") as f:
        f.write("email,reason,at,detail\n")
        for i in range(n_suppressed):
            f.write("gone%07d@example.net,unsubscribed,2026-01-01T00:00:00Z,\n" % i)
    return path


def serve(project):
    env = dict(os.environ, VERDICT_SECRET=SECRET)
    process = subprocess.Popen([VERDICT, "--project", project, "serve", "--listen", "127.0.0.1:0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    first = process.stdout.readline()
    address = next(w for w in first.split() if w.startswith("http://")).split("/")[2]
    # Drain the request log so that the service never blocks on the pipe.
    concurrent.futures.ThreadPoolExecutor(1).submit(lambda: [None for _ in process.stdout])
    return process, address


def unsubscribe_all(address, emails):
    host, port = address.split(":")

    def worker(chunk):
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for email in chunk:
            connection.request("POST", link_path(email), body="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit("unexpected status %d" % response.status)
        connection.close()

    chunks = [emails[i::THREADS] for i in range(THREADS)]
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, chunks))
    return len(emails) / (time.monotonic() - start)


def main():
    large = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    rates = {}
    for size in [1, large]:
        project = make_project(size)
        process, address = serve(project)
        try:
            emails = ["reader%06d@example.com" % i for i in range(requests)]
            rates[size] = unsubscribe_all(address, emails)
        finally:
            process.terminate()
            process.wait()
        print("%s suppressed: %.0f unsubscribes/s" % (f"{size:,}", rates[size]), flush=True)
    ratio = rates[large] / rates[1]
    report = ("| suppressed addresses | unsubscribes per second |\n| ---: | ---: |\n"
              + "".join("| %s | %.0f |\n" % (f"{size:,}", rate) for size, rate in rates.items())
              + "\nRatio, large to small: %.2f (%d requests, %d client threads)\n" % (ratio, requests, THREADS))
    with open(os.path.join(WORK, "serve.md"), "w") as f:
        f.write(report)
    print()
    print(report)


if __name__ == "__main__":
    main()
