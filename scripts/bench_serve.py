#!/usr/bin/env python3
"""How fast `verdict serve` handles one-click unsubscribes, sign-up confirmations
and votes with the demo's small lists and with large ones (1,000,000 subscribers
and 300,000 suppressed addresses by default), in one run.

    python3 scripts/bench_serve.py [N_SUBSCRIBERS] [N_SUPPRESSED] [REQUESTS]

Builds the release binary first (cargo build --release). For each size: a copy of
the demo project with lists of that size, REQUESTS pending sign-ups, `verdict serve`
on 127.0.0.1, and REQUESTS of each kind (links signed with the same HMAC as
verdict's: distinct unsubscribes, distinct confirmations, distinct readers' votes)
POSTed by 4 client threads over kept-alive connections. Prints the rates and their
ratios, and writes target/bench/serve.md.
"""

import base64
import concurrent.futures
import datetime
import json
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


ISSUE = "2026-11-26-axolotl-vs-mistral-medium-3"


def sign(text):
    return b64(hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).digest())


def make_project(n_subscribers, n_suppressed, requests):
    path = os.path.join(WORK, "serve-%d-%d" % (n_subscribers, n_suppressed))
    shutil.rmtree(path, ignore_errors=True)
    for part in ["templates", "tools", "issues", "subscribers"]:
        shutil.copytree(os.path.join(ROOT, part), os.path.join(path, part))
    shutil.copy(os.path.join(ROOT, "verdict.toml"), path)
    if n_subscribers:
        with open(os.path.join(path, "subscribers", "subscribers.csv"), "w") as f:
            f.write("email,name,subscribed_at,consent\n")
            for i in range(n_subscribers):
                f.write("reader%07d@example.com,,2026-01-01T00:00:00Z,imported\n" % i)
    if n_suppressed:
        with open(os.path.join(path, "subscribers", "suppressed.csv"), "w") as f:
            f.write("email,reason,at,detail\n")
            for i in range(n_suppressed):
                f.write("gone%07d@example.net,unsubscribed,2026-01-01T00:00:00Z,\n" % i)
    os.makedirs(os.path.join(path, "state"), mode=0o700)
    now = datetime.datetime.now(datetime.timezone.utc)
    with open(os.path.join(path, "state", "signups.log"), "w") as f:
        for i in range(requests):
            f.write(json.dumps({"kind": "requested", "id": "%032x" % i, "email": "join%06d@example.org" % i,
                                "at": now.isoformat().replace("+00:00", "Z")}) + "\n")
    return path


def confirm_path(i):
    expires = int(time.time()) + 86400
    pending = "%032x" % i
    return "/subscribe/confirm?p=%s&e=%d&t=%s" % (pending, expires, sign("confirm:%s:%d" % (pending, expires)))


def vote_path(email):
    token = sign("vote:%s:0:ship:%s" % (ISSUE, email))
    return "/vote?i=%s&n=0&v=ship&u=%s&t=%s" % (ISSUE, b64(email.encode()), token)


def serve(project):
    env = dict(os.environ, VERDICT_SECRET=SECRET)
    process = subprocess.Popen([VERDICT, "--project", project, "serve", "--listen", "127.0.0.1:0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    first = process.stdout.readline()
    address = next(w for w in first.split() if w.startswith("http://")).split("/")[2]
    # Drain the request log so that the service never blocks on the pipe.
    concurrent.futures.ThreadPoolExecutor(1).submit(lambda: [None for _ in process.stdout])
    return process, address


def post_all(address, paths, body):
    host, port = address.split(":")

    def worker(chunk):
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for path in chunk:
            connection.request("POST", path, body=body,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit("unexpected status %d" % response.status)
        connection.close()

    chunks = [paths[i::THREADS] for i in range(THREADS)]
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, chunks))
    return len(paths) / (time.monotonic() - start)


KINDS = ["unsubscribes", "confirmations", "votes"]


def main():
    n_subscribers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_suppressed = int(sys.argv[2]) if len(sys.argv) > 2 else 300_000
    requests = int(sys.argv[3]) if len(sys.argv) > 3 else 2_000
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    rates = {}
    for size in [(0, 0), (n_subscribers, n_suppressed)]:
        project = make_project(size[0], size[1], requests)
        process, address = serve(project)
        try:
            readers = ["reader%07d@example.com" % i for i in range(requests)] if size[0] else \
                ["vote%06d@example.com" % i for i in range(requests)]
            rates[size] = {
                "unsubscribes": post_all(address, [link_path("leave%06d@example.com" % i) for i in range(requests)],
                                         "List-Unsubscribe=One-Click"),
                "confirmations": post_all(address, [confirm_path(i) for i in range(requests)], ""),
                "votes": post_all(address, [vote_path(email) for email in readers], ""),
            }
        finally:
            process.terminate()
            process.wait()
        label = "demo lists" if size == (0, 0) else "%s subscribers, %s suppressed" % (f"{size[0]:,}", f"{size[1]:,}")
        print("%s: %s" % (label, ", ".join("%.0f %s/s" % (rates[size][k], k) for k in KINDS)), flush=True)
    small, large = rates[(0, 0)], rates[(n_subscribers, n_suppressed)]
    report = "| lists | " + " | ".join("%s per second" % k for k in KINDS) + " |\n| --- | ---: | ---: | ---: |\n"
    report += "| the demo's (25 subscribers, 1 suppressed) | " + " | ".join("%.0f" % small[k] for k in KINDS) + " |\n"
    report += "| %s subscribers, %s suppressed | " % (f"{n_subscribers:,}", f"{n_suppressed:,}") + \
        " | ".join("%.0f" % large[k] for k in KINDS) + " |\n"
    report += "\nRatios, large to small: " + ", ".join("%s %.2f" % (k, large[k] / small[k]) for k in KINDS) + \
        " (%d requests of each kind, %d client threads)\n" % (requests, THREADS)
    with open(os.path.join(WORK, "serve.md"), "w") as f:
        f.write(report)
    print()
    print(report)


if __name__ == "__main__":
    main()
