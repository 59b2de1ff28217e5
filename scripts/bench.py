#!/usr/bin/env python3
"""Runs the send benchmark (see scripts/bench.sh, which installs what it needs).

`bench.py dkim [N [BIG]]` runs the signed-sending benchmark instead (dkim_main).

For each N: a project with N subscribers and the demo issue; `verdict send` (release
build) at concurrency 1, 4 and 16, unpaced, against smtp-sink on 127.0.0.1; in the
same run smtp-source sending N messages of the same size over the same number of
kept-open connections (-d) as the reference limit; verdict's peak RSS from
/usr/bin/time -v; and the time of a `verdict send` with nothing due.
"""

import csv
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERDICT = os.path.join(ROOT, "target", "release", "verdict")
WORK = os.path.join(ROOT, "target", "bench")
ISSUE = "2026-11-26-axolotl-vs-mistral-medium-3"
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1,4,16").split(",")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_project(n):
    path = os.path.join(WORK, "project-%d" % n)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.join(path, "subscribers"))
    shutil.copy(os.path.join(ROOT, "verdict.toml"), path)
    shutil.copytree(os.path.join(ROOT, "templates"), os.path.join(path, "templates"))
    shutil.copytree(os.path.join(ROOT, "tools"), os.path.join(path, "tools"))
    os.makedirs(os.path.join(path, "issues"))
    shutil.copy(os.path.join(ROOT, "issues", ISSUE + ".toml"), os.path.join(path, "issues"))
    with open(os.path.join(path, "subscribers", "subscribers.csv"), "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["email", "name", "subscribed_at"])
        for i in range(n):
            writer.writerow(["reader%07d@example.com" % i, "Reader %d" % i, "2026-01-01T00:00:00Z"])
    with open(os.path.join(path, "subscribers", "suppressed.csv"), "w") as f:
        f.write("email,reason,at,detail\n")
    return path


def reset(project):
    shutil.rmtree(os.path.join(project, "state"), ignore_errors=True)


# How a run starts from an empty state/ (the DKIM benchmark keeps its keys).
RESET = reset


def message_size(project):
    out = os.path.join(WORK, "preview")
    subprocess.run([VERDICT, "--project", project, "preview", ISSUE, "--out", out,
                    "--to", "reader0000000@example.com", "--name", "Reader 0"],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.getsize(os.path.join(out, ISSUE + ".eml"))


class Sink:
    """smtp-sink on 127.0.0.1, discarding what it receives."""

    def __init__(self):
        self.port = free_port()
        # As root, smtp-sink insists on dropping to an unprivileged user.
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(
            ["smtp-sink"] + user + ["-m", "64", "127.0.0.1:%d" % self.port, "1024"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, "smtp-sink")

    def cpu_seconds(self):
        """The sink's CPU time so far (user and system), from /proc."""
        with open("/proc/%d/stat" % self.process.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait()


class Stunnel:
    """stunnel on 127.0.0.1: TLS in front of smtp-sink (server), or a plain port
    that speaks TLS to that server (client, for smtp-source, which has no TLS).
    A server uses the test certificate unless given `cert` and `key`, offers
    STARTTLS instead of TLS from the start with `starttls`, and speaks TLS 1.2 at
    most with `tls12`."""

    def __init__(self, connect_port, client=False, cert=None, key=None, starttls=False, tls12=False):
        self.port = free_port()
        name = "client" if client else "server"
        config = os.path.join(WORK, "stunnel-%s-%d.conf" % (name, self.port))
        tls = os.path.join(ROOT, "tests", "fixtures", "tls")
        with open(config, "w") as f:
            f.write("foreground = yes\npid =\n[%s]\n" % name)
            f.write("accept = 127.0.0.1:%d\nconnect = 127.0.0.1:%d\n" % (self.port, connect_port))
            if client:
                f.write("client = yes\nverifyChain = no\n")
            else:
                f.write("cert = %s\nkey = %s\n" % (cert or os.path.join(tls, "cert.pem"),
                                                   key or os.path.join(tls, "key.pem")))
            if starttls:
                f.write("protocol = smtp\n")
            if tls12:
                f.write("sslVersionMax = TLSv1.2\n")
        self.process = subprocess.Popen(["stunnel", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, "stunnel")

    def stop(self):
        self.process.terminate()
        self.process.wait()


def wait_for_port(port, what):
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(what + " did not start")


def send_command(project, port, concurrency, scheme="smtp", binary=VERDICT, query="", trusted=False):
    """`verdict send` of the project to the sink, as fast as it goes; over smtps,
    accepting the test certificate unless the relay's chain is `trusted`."""
    extra = ["--dangerous-accept-invalid-certs"] if scheme == "smtps" and not trusted else []
    return [binary, "--project", project, "send", "--quiet",
            "--transport", "%s://127.0.0.1:%d%s" % (scheme, port, query),
            "--concurrency", str(concurrency), "--rate", "0"] + extra


def run_verdict(project, port, concurrency, scheme="smtp", binary=VERDICT):
    RESET(project)
    start = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-v"] + send_command(project, port, concurrency, scheme, binary),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit("verdict send failed:\n" + result.stdout + result.stderr)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    cpu = sum(float(re.search(r"%s time \(seconds\): ([\d.]+)" % kind, result.stderr).group(1))
              for kind in ("User", "System"))
    LAST_CPU[0] = cpu
    return elapsed, rss


# The CPU seconds (user and system) of the last run_verdict or run_source.
LAST_CPU = [0.0]


def run_sampled(project, port, concurrency):
    """A send whose memory is read from /proc every 10 ms: the peak resident set
    (the kernel's own high-water mark, VmHWM, so that no peak between two reads is
    missed; wait4's ru_maxrss would count the Python process forked before the
    exec), and the peak of its anonymous part (what the send allocates, and the
    pages of the binary that relocation wrote); the rest is the binary's code and
    data mapped from disk. Returns (seconds, peak RSS kB, peak anonymous kB)."""
    RESET(project)
    start = time.monotonic()
    process = subprocess.Popen(send_command(project, port, concurrency),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = {"VmHWM": 0, "Anonymous": 0}
    while process.poll() is None:
        try:
            with open("/proc/%d/status" % process.pid) as f:
                text = f.read()
            with open("/proc/%d/smaps_rollup" % process.pid) as f:
                text += f.read()
        except OSError:
            break
        for key in peak:
            found = re.search(r"^%s:\s+(\d+) kB" % key, text, re.M)
            if found:
                peak[key] = max(peak[key], int(found.group(1)))
        time.sleep(0.01)
    _, errors = process.communicate()
    elapsed = time.monotonic() - start
    if process.returncode != 0:
        raise SystemExit("verdict send failed:\n" + errors)
    return elapsed, peak["VmHWM"], peak["Anonymous"]


def run_source(port, n, concurrency, size):
    start = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%U %S",
         "smtp-source", "-d", "-s", str(concurrency), "-m", str(n), "-l", str(size),
         "-f", "verdicts@example.com", "-t", "reader@example.com", "127.0.0.1:%d" % port],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    LAST_CPU[0] = sum(float(x) for x in result.stderr.strip().splitlines()[-1].split())
    return time.monotonic() - start


def noop_seconds(project, port, runs=7):
    times = []
    for _ in range(runs):
        start = time.monotonic()
        subprocess.run([VERDICT, "--project", project, "send", "--quiet",
                        "--transport", "smtp://127.0.0.1:%d" % port], check=True)
        times.append(time.monotonic() - start)
    return statistics.median(times)


def openssl_rsa2048_signs(multi):
    """`openssl speed` RSA-2048 signatures per second on `multi` processes."""
    result = subprocess.run(
        ["openssl", "speed", "-seconds", "5", "-multi", str(multi), "rsa2048"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in result.stdout.splitlines():
        words = line.split()
        # "rsa 2048 bits 0.000149s 0.000008s 6734.0 121814.7", with or without -multi
        if words[:3] == ["rsa", "2048", "bits"] and len(words) >= 7:
            return float(words[5])
    raise SystemExit("cannot read openssl speed's output:\n" + result.stdout)


def binary_functions(binary):
    """The functions defined in the binary: name -> (address, size)."""
    out = subprocess.run(["nm", "--defined-only", "--print-size", binary], check=True,
                         capture_output=True, text=True).stdout
    return {parts[3]: (int(parts[0], 16), int(parts[1], 16))
            for parts in (line.split() for line in out.splitlines())
            if len(parts) == 4 and parts[2] in "tTwW"}


SYMBOL_ORDER = os.path.join(ROOT, "link", "symbol-order.txt")


def symbol_order_coverage(binary=VERDICT):
    """How much of link/symbol-order.txt (see scripts/symbol_order.py) the binary
    has: (functions found, functions listed, bytes from the first found to the
    end of the last, their own bytes); all zero without the list."""
    if not os.path.exists(SYMBOL_ORDER):
        return 0, 0, 0, 0
    with open(SYMBOL_ORDER) as f:
        listed = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    have = binary_functions(binary)
    found = [have[name] for name in listed if name in have]
    if not found:
        return 0, len(listed), 0, 0
    span = max(address + size for address, size in found) - min(address for address, _ in found)
    return len(found), len(listed), span, sum(size for _, size in found)


def write_report(lines, name):
    """Prints the report and writes it to target/bench/NAME, with the machine and
    how much of the code layout list the binary has."""
    machine = "%s, %d cores, Python %s" % (platform.platform(), os.cpu_count(), platform.python_version())
    found, listed, span, size = symbol_order_coverage()
    layout = ("%d of the %d functions of link/symbol-order.txt are in the binary, spanning %.1f MB for %.1f MB of code"
              % (found, listed, span / 1e6, size / 1e6))
    report = "\n".join(lines + ["", "Machine: " + machine, "Code layout: " + layout]) + "\n"
    with open(os.path.join(WORK, name), "w") as f:
        f.write(report)
    print()
    print(report)


DKIM_SETS = {
    "unsigned": [],
    "rsa": [("rsa", "rsa")],
    "ed25519": [("ed", "ed25519")],
    "rsa+ed25519": [("rsa", "rsa"), ("ed", "ed25519")],
}


def dkim_keys(project):
    """Makes the benchmark project's keys with `verdict dkim keygen`."""
    base = open(os.path.join(project, "verdict.toml")).read()
    for selector, algorithm in [("rsa", "rsa"), ("ed", "ed25519")]:
        subprocess.run([VERDICT, "--project", project, "dkim", "keygen", "--selector", selector,
                        "--algorithm", algorithm], check=True, stdout=subprocess.DEVNULL)
    return base


def configure_dkim(project, base, keys):
    text = base
    for selector, algorithm in keys:
        text += ('\n[[dkim]]\ndomain = "example.com"\nselector = "%s"\n'
                 'key_file = "state/dkim/%s._domainkey.example.com.pem"\nalgorithm = "%s"\n'
                 % (selector, selector, algorithm))
    with open(os.path.join(project, "verdict.toml"), "w") as f:
        f.write(text)


def reset_keeping_keys(project):
    """An empty state/ but for the DKIM keys."""
    state = os.path.join(project, "state")
    for entry in os.listdir(state) if os.path.isdir(state) else []:
        if entry != "dkim":
            path = os.path.join(state, entry)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def dkim_main(args):
    """Signed sending: unsigned, RSA-2048, Ed25519 and both, at each concurrency,
    beside smtp-source and `openssl speed` in the same run; medians of REPEAT
    runs taken in turns so that the machine's drift hits every row alike.
    BENCH_BASELINE names an earlier verdict binary whose unsigned sending is
    measured alongside ("unsigned no slower than before")."""
    baseline = os.environ.get("BENCH_BASELINE")
    n = int(args[0]) if args else 10_000
    big = int(args[1]) if len(args) > 1 else 0
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    os.makedirs(WORK, exist_ok=True)
    project = make_project(n)
    base = dkim_keys(project)
    size = message_size(project)
    configure_dkim(project, base, DKIM_SETS["rsa+ed25519"])
    signed_size = message_size(project)
    openssl_one = openssl_rsa2048_signs(1)
    openssl_all = openssl_rsa2048_signs(os.cpu_count())
    print("openssl speed rsa2048: %.0f signs/s on one core, %.0f on %d" % (openssl_one, openssl_all, os.cpu_count()), flush=True)
    results = {}
    cpu = {}
    sink_cpu = {}
    sink = Sink()
    global RESET
    RESET = reset_keeping_keys
    try:
        for round_ in range(repeat):
            for concurrency in CONCURRENCY:
                sink_before = sink.cpu_seconds()
                seconds = run_source(sink.port, n, concurrency, signed_size)
                results.setdefault(("smtp-source", concurrency), []).append((n / seconds, 0))
                cpu.setdefault(("smtp-source", concurrency), []).append(LAST_CPU[0] / n * 1e6)
                sink_cpu.setdefault(("smtp-source", concurrency), []).append((sink.cpu_seconds() - sink_before) / n * 1e6)
                runs = [(name, keys, VERDICT) for name, keys in DKIM_SETS.items()]
                if baseline:
                    runs.insert(0, ("unsigned before", [], baseline))
                for name, keys, binary in runs:
                    configure_dkim(project, base, keys)
                    sink_before = sink.cpu_seconds()
                    seconds, rss = run_verdict(project, sink.port, concurrency, binary=binary)
                    results.setdefault((name, concurrency), []).append((n / seconds, rss))
                    cpu.setdefault((name, concurrency), []).append(LAST_CPU[0] / n * 1e6)
                    sink_cpu.setdefault((name, concurrency), []).append((sink.cpu_seconds() - sink_before) / n * 1e6)
                    print("round %d c=%d %s: %.0f msg/s, peak RSS %.1f MB, %.0f µs CPU per message (sink %.0f µs)"
                          % (round_ + 1, concurrency, name, n / seconds, rss / 1024, LAST_CPU[0] / n * 1e6,
                             sink_cpu[(name, concurrency)][-1]), flush=True)
        memory_rows = []
        if big:
            configure_dkim(project, base, DKIM_SETS["rsa"])
            project_big = make_project(big)
            base_big = dkim_keys(project_big)
            configure_dkim(project_big, base_big, DKIM_SETS["rsa"])
            for readers, where in [(n, project), (big, project_big)]:
                seconds, rss, anonymous = run_sampled(where, sink.port, 16)
                memory_rows.append((readers, readers / seconds, rss, anonymous))
                print("N=%d rsa c=16: %.0f msg/s, peak RSS %.1f MB, of it anonymous %.1f MB"
                      % (readers, readers / seconds, rss / 1024, anonymous / 1024), flush=True)
    finally:
        sink.stop()

    def overall(costs, name):
        """The median CPU per message of `name` over every run at every concurrency."""
        return statistics.median(x for (each, _), runs in costs.items() if each == name for x in runs)

    def median(name, c):
        rows = results[(name, c)]
        return statistics.median(r[0] for r in rows), max(r[1] for r in rows)

    names = ["smtp-source"] + (["unsigned before"] if baseline else []) + ["unsigned", "rsa", "ed25519", "rsa+ed25519"]
    heads = {"smtp-source": "smtp-source", "unsigned before": "unsigned, before", "unsigned": "unsigned",
             "rsa": "RSA-2048", "ed25519": "Ed25519", "rsa+ed25519": "both"}
    lines = ["%s subscribers, messages of %s bytes unsigned and %s with both signatures; msg/s, median of %d runs per row:" % (f"{n:,}", f"{size:,}", f"{signed_size:,}", repeat), "",
             "| concurrency | " + " | ".join(heads[name] for name in names) + " | peak RSS (both) |",
             "| ---: |" + " ---: |" * (len(names) + 1)]
    for c in CONCURRENCY:
        row = [median(name, c) for name in names]
        lines.append("| %d | %s | %.1f MB |" % (
            c, " | ".join(f"{r[0]:,.0f}" for r in row), row[-1][1] / 1024))
    lines.append("")
    lines.append("CPU time (user and system) per message, median over every run, of the sender (smtp-source or verdict): "
                 + ", ".join("%s %.0f µs" % (heads[name], overall(cpu, name)) for name in names) + "; "
                 + "of smtp-sink receiving them: "
                 + ", ".join("%s %.0f µs" % (heads[name], overall(sink_cpu, name)) for name in names) + ".")
    lines.append("")
    lines.append("`openssl speed rsa2048` in the same run: %s signatures/s on one core, %s with -multi %d." % (f"{openssl_one:,.0f}", f"{openssl_all:,.0f}", os.cpu_count()))
    lines.append("")
    c = max(CONCURRENCY)
    source, rsa = median("smtp-source", c)[0], median("rsa", c)[0]
    reference = min(source, openssl_all)
    lines.append("| target | result |")
    lines.append("| --- | --- |")
    lines.append("| RSA-2048 at %d connections ≥ 0.8 × min(smtp-source, openssl -multi) | %.0f / %.0f = **%.2f** |" % (c, rsa, reference, rsa / reference))
    # What the target rate costs in CPU at the least: the sink's share of each
    # message, one signature at openssl's one-core speed, and the sending work
    # of smtp-source, which does nothing else.
    target = 0.8 * reference
    floor_us = (statistics.median(sink_cpu[("rsa", c)]) + 1e6 / openssl_one
                + statistics.median(cpu[("smtp-source", c)]))
    lines.append("| CPU the target rate needs at the least (sink + one openssl signature + smtp-source's sending, per message) | %.0f msg/s × %.0f µs = **%.2f cores** of %d |"
                 % (target, floor_us, target * floor_us / 1e6, os.cpu_count()))
    for cc in CONCURRENCY:
        ed, plain = median("ed25519", cc)[0], median("unsigned", cc)[0]
        lines.append("| Ed25519 ≥ 0.9 × unsigned, %d connection(s) | %.0f / %.0f = **%.2f** |" % (cc, ed, plain, ed / plain))
    if baseline:
        for cc in CONCURRENCY:
            now, before = median("unsigned", cc)[0], median("unsigned before", cc)[0]
            lines.append("| unsigned no slower than before, %d connection(s) | %.0f / %.0f = **%.2f** |" % (cc, now, before, now / before))
    for readers, rate, rss, anonymous in memory_rows:
        lines.append("| memory at %s readers signed (RSA, 16 connections) | %.1f MB peak RSS, of it %.1f MB anonymous (%.0f msg/s) |"
                     % (f"{readers:,}", rss / 1024, anonymous / 1024, rate))
    write_report(lines, "results-dkim.md")


def main():
    if sys.argv[1:2] == ["dkim"]:
        return dkim_main(sys.argv[2:])
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    os.makedirs(WORK, exist_ok=True)
    rows = []
    tls_rows = []
    noop = {}
    sink = Sink()
    try:
        for n in sizes:
            project = make_project(n)
            size = message_size(project)
            for concurrency in CONCURRENCY:
                verdict_s, rss = run_verdict(project, sink.port, concurrency)
                source_s = run_source(sink.port, n, concurrency, size)
                row = (n, concurrency, size, n / verdict_s, n / source_s, rss)
                rows.append(row)
                print("N=%d c=%d: verdict %.0f msg/s, smtp-source %.0f msg/s, ratio %.2f, peak RSS %.1f MB"
                      % (n, concurrency, row[3], row[4], row[3] / row[4], rss / 1024), flush=True)
            noop[n] = noop_seconds(project, sink.port)
            print("N=%d: send with nothing due %.1f ms" % (n, noop[n] * 1000), flush=True)
        # smtps: TLS through stunnel in front of the same sink, for the smallest N;
        # smtp-source (no TLS of its own) goes through a client-side stunnel.
        n = sizes[0]
        project = make_project(n)
        size = message_size(project)
        server = Stunnel(sink.port)
        client = Stunnel(server.port, client=True)
        try:
            for concurrency in CONCURRENCY:
                verdict_s, rss = run_verdict(project, server.port, concurrency, scheme="smtps")
                source_s = run_source(client.port, n, concurrency, size)
                row = (n, concurrency, size, n / verdict_s, n / source_s, rss)
                tls_rows.append(row)
                print("smtps N=%d c=%d: verdict %.0f msg/s, smtp-source via stunnel %.0f msg/s, ratio %.2f"
                      % (n, concurrency, row[3], row[4], row[3] / row[4]), flush=True)
        finally:
            client.stop()
            server.stop()
    finally:
        sink.stop()

    lines = ["| subscribers | concurrency | message bytes | verdict msg/s | smtp-source msg/s | ratio | verdict peak RSS |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n, c, size, v, s, rss in rows:
        lines.append("| %s | %d | %s | %.0f | %.0f | %.2f | %.1f MB |" % (f"{n:,}", c, f"{size:,}", v, s, v / s, rss / 1024))
    lines.append("")
    lines.append("smtps (TLS through stunnel in front of smtp-sink; smtp-source through a client-side stunnel):")
    lines.append("")
    lines.append("| subscribers | concurrency | message bytes | verdict msg/s | smtp-source msg/s | ratio | verdict peak RSS |")
    lines.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, c, size, v, s, rss in tls_rows:
        lines.append("| %s | %d | %s | %.0f | %.0f | %.2f | %.1f MB |" % (f"{n:,}", c, f"{size:,}", v, s, v / s, rss / 1024))
    lines.append("")
    lines.append("| subscribers | `verdict send` with nothing due (median of 7) |")
    lines.append("| ---: | ---: |")
    for n, seconds in noop.items():
        lines.append("| %s | %.1f ms |" % (f"{n:,}", seconds * 1000))
    write_report(lines, "results.md")


if __name__ == "__main__":
    main()
