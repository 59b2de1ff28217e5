#!/usr/bin/env python3
"""Writes link/symbol-order.txt: the functions a send runs, for the linker to lay
out together (see build.rs and docs/BENCHMARKS.md, "Code laid out by use").

Run through `bash scripts/bench.sh order` (it builds the release binary and
installs valgrind). Each run below goes under callgrind, which records every
function executed, with its linker name:

- `verdict check` of the demo issue;
- `verdict send` of a small list to smtp-sink at 4 connections, unsigned, with
  RSA-2048, with Ed25519 and with both; unsigned through TLS and through
  STARTTLS (stunnel), checking the relay's certificate against an authority made
  for the run (SSL_CERT_FILE); and to the outbox.

Valgrind hides some of the CPU's instructions (AVX-512, SHA), so the libraries
pick other versions of their hashing and RSA code under it than on the CPU
itself. Where `perf` is installed, each run is therefore also sampled on the CPU,
and the functions it samples are added: the versions for the machine that makes
the list.

The file lists those functions that are in the release binary, grouped by the
runs that use them: first those every run uses, then those of most runs, and so
on, so that one kind of send finds its code in few stretches of the binary;
sorted by name within a group, so that a new run changes only the lines that
changed. A function missing from it (new, or renamed by a new toolchain or a new
version of a dependency) still links, only outside the group.
`bash scripts/bench.sh order --check` says how much of the list this binary has
and whether it is laid out.

Not covered: host names looked up (the relays are 127.0.0.1), and the system's own
list of authorities (read by the same code, only longer).
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

ORDER = bench.SYMBOL_ORDER
HEADER = """\
# The functions `verdict send` and `verdict check` run, by linker name, for the
# linker's --symbol-ordering-file (passed by build.rs in release builds whose
# linker takes it): laid out together, they are 2 to 3 MB of the binary instead of
# scattered over all 12 MB of its code, so a send keeps less of it resident. Written
# by `bash scripts/bench.sh order` for one toolchain and Cargo.lock; a name a build
# does not have is skipped.
"""


def executed(command, out, env):
    """The linker names of the functions `command` runs, under callgrind."""
    subprocess.run(["valgrind", "--quiet", "--tool=callgrind", "--demangle=no",
                    "--callgrind-out-file=" + out] + command,
                   check=True, stdout=subprocess.DEVNULL, env=env)
    names = set()
    with open(out, errors="replace") as f:
        for line in f:
            # A name is written once, after its number; "'2" marks a recursion level.
            found = re.match(r"^c?fn=\(\d+\) (\S+?)(?:'\d+)?$", line)
            if found:
                names.add(found.group(1))
    return names


def sampled(command, out, env):
    """The linker names of the binary's functions that `perf record` samples while
    `command` runs on the CPU; empty without perf."""
    if subprocess.run(["sh", "-c", "command -v perf"], stdout=subprocess.DEVNULL).returncode != 0:
        return set()
    subprocess.run(["perf", "record", "--quiet", "-F", "20000", "-e", "cpu-clock:u", "-o", out, "--"]
                   + command, check=True, stdout=subprocess.DEVNULL, env=env)
    report = subprocess.run(["perf", "report", "--quiet", "--stdio", "--no-demangle", "-i", out,
                             "--sort", "dso,sym", "-F", "dso,sym"],
                            check=True, capture_output=True, text=True).stdout
    binary = os.path.basename(bench.VERDICT)
    names = set()
    for line in report.splitlines():
        parts = line.split()
        # "verdict  [.] name": a function of the binary, sampled in user space.
        if len(parts) == 3 and parts[0] == binary and parts[1] == "[.]":
            names.add(parts[2])
    return names


def test_authority(folder):
    """A certificate authority made for this run, and a certificate it signed for
    127.0.0.1: (authority, certificate, key), so that the TLS runs check the
    relay's certificate as a real send does."""
    os.makedirs(folder, exist_ok=True)
    path = lambda name: os.path.join(folder, name)  # noqa: E731
    quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2",
                    "-subj", "/CN=verdict symbol order CA"], **quiet)
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", path("relay.key"), "-out", path("relay.csr"), "-subj", "/CN=127.0.0.1"], **quiet)
    with open(path("relay.ext"), "w") as f:
        f.write("subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", path("relay.csr"), "-CA", path("ca.pem"),
                    "-CAkey", path("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", path("relay.ext"),
                    "-out", path("relay.pem")], **quiet)
    return path("ca.pem"), path("relay.pem"), path("relay.key")


def runs(project, base, sink, smtps, starttls, authority):
    """The commands to profile, each with what sets the project up for it and
    its environment."""
    env = dict(os.environ)
    yield (lambda: None), [bench.VERDICT, "--project", project, "check", bench.ISSUE], env
    for name, keys in bench.DKIM_SETS.items():
        def setup(keys=keys):
            bench.configure_dkim(project, base, keys)
            bench.reset_keeping_keys(project)
        yield setup, bench.send_command(project, sink.port, 4), env
    def unsigned():
        bench.configure_dkim(project, base, [])
        bench.reset_keeping_keys(project)
    # The relay's certificate checked against the authorities SSL_CERT_FILE names.
    trusting = dict(env, SSL_CERT_FILE=authority)
    send = [bench.VERDICT, "--project", project, "send", "--quiet", "--concurrency", "4", "--rate", "0",
            "--transport"]
    yield unsigned, send + ["smtps://127.0.0.1:%d" % smtps.port], trusting
    yield unsigned, send + ["smtp://127.0.0.1:%d?tls=required" % starttls.port], trusting
    yield unsigned, [bench.VERDICT, "--project", project, "send", "--quiet", "--transport", "outbox:outbox"], env


def check():
    """Says how much of the list the release binary has, and whether the
    functions it has are laid out together; fails when it is under 90 %."""
    found, listed, span, size = bench.symbol_order_coverage()
    print("%d of the %d functions in %s are in %s (%.0f %%); they span %.1f MB of code for %.1f MB of their own (%s)"
          % (found, listed, os.path.relpath(ORDER, bench.ROOT), os.path.relpath(bench.VERDICT, bench.ROOT),
             100 * found / max(listed, 1), span / 1e6, size / 1e6,
             "laid out together" if span < 1.2 * size else "not laid out together"))
    if found < 0.9 * listed or span >= 1.2 * size:
        raise SystemExit("regenerate the list: bash scripts/bench.sh order")


def main():
    args = sys.argv[1:]
    if args == ["--check"]:
        return check()
    if args:
        raise SystemExit("usage: symbol_order.py [--check]")
    os.makedirs(bench.WORK, exist_ok=True)
    project = bench.make_project(300)
    base = bench.dkim_keys(project)
    authority, cert, key = test_authority(os.path.join(bench.WORK, "order-tls"))
    sink = bench.Sink()
    smtps = bench.Stunnel(sink.port, cert=cert, key=key)
    starttls = bench.Stunnel(sink.port, cert=cert, key=key, starttls=True)
    used_by = {}
    try:
        for i, (setup, command, env) in enumerate(runs(project, base, sink, smtps, starttls, authority)):
            setup()
            names = executed(command, os.path.join(bench.WORK, "callgrind.%d.out" % i), env)
            setup()
            names |= sampled(command, os.path.join(bench.WORK, "perf.%d.data" % i), env)
            for name in names:
                used_by.setdefault(name, []).append(i)
    finally:
        starttls.stop()
        smtps.stop()
        sink.stop()
    have = bench.binary_functions(bench.VERDICT)
    listed = sorted((name for name in used_by if name in have),
                    key=lambda name: (-len(used_by[name]), used_by[name], name))
    if len(listed) < 100:
        raise SystemExit("only %d of the functions run are in %s: is it stripped?" % (len(listed), bench.VERDICT))
    os.makedirs(os.path.dirname(ORDER), exist_ok=True)
    temporary = ORDER + ".tmp"
    try:
        with open(temporary, "w") as f:
            f.write(HEADER + "".join(name + "\n" for name in listed))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, ORDER)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    print("%d functions written to %s" % (len(listed), os.path.relpath(ORDER, bench.ROOT)))


if __name__ == "__main__":
    main()
