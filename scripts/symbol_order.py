#!/usr/bin/env python3
"""Writes link/symbol-order.txt: the functions a send runs, for the linker to lay
out together (see build.rs and docs/BENCHMARKS.md, "Code laid out by use").

Run through `bash scripts/bench.sh order` (it builds the release binary and
installs valgrind). Each run below goes under callgrind, which records every
function executed, with its linker name:

- `verdict check` of the demo issue;
- `verdict send` of a small list to smtp-sink at 4 connections, unsigned, with
  RSA-2048, with Ed25519 and with both; unsigned through TLS 1.3 and through
  STARTTLS with TLS 1.2 (stunnel), checking the relay's chain (an intermediate
  under an RSA root, made for the run) against the root as SSL_CERT_FILE and
  SSL_CERT_DIR name it; and to the outbox.

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

Not covered: host names looked up (the relays are 127.0.0.1), and the search for the
system's authorities when neither variable is set (openssl-probe).
"""

import contextlib
import os
import re
import shutil
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
    if shutil.which("perf") is None:
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
    """Authorities made for this run: an RSA-2048 root, and a P-256 intermediate
    that signed a certificate for 127.0.0.1. Returns (the root, a folder of
    trusted authorities holding the root, the relay's certificate followed by the
    intermediate, its key), so that the TLS runs build and check a chain as a
    real send does with its relay's."""
    os.makedirs(folder, exist_ok=True)
    path = lambda name: os.path.join(folder, name)  # noqa: E731
    quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("root.key"),
                    "-out", path("root.pem"), "-days", "2", "-subj", "/CN=verdict symbol order root"], **quiet)

    def signed(name, subject, issuer, extensions):
        subprocess.run(["openssl", "req"] + p256 + ["-keyout", path(name + ".key"), "-out", path(name + ".csr"),
                                                    "-subj", subject], **quiet)
        with open(path(name + ".ext"), "w") as f:
            f.write(extensions)
        subprocess.run(["openssl", "x509", "-req", "-in", path(name + ".csr"), "-CA", path(issuer + ".pem"),
                        "-CAkey", path(issuer + ".key"), "-CAcreateserial", "-days", "2",
                        "-extfile", path(name + ".ext"), "-out", path(name + ".pem")], **quiet)

    signed("intermediate", "/CN=verdict symbol order intermediate", "root",
           "basicConstraints = critical, CA:TRUE, pathlen:0\nkeyUsage = critical, keyCertSign\n")
    signed("relay", "/CN=127.0.0.1", "intermediate",
           "subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n")
    with open(path("relay-chain.pem"), "w") as chain:
        for name in ("relay", "intermediate"):
            with open(path(name + ".pem")) as f:
                chain.write(f.read())
    # A folder of authorities as `openssl rehash` leaves it: each under its hash.
    os.makedirs(path("trusted"), exist_ok=True)
    digest = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", path("root.pem")],
                            check=True, capture_output=True, text=True).stdout.strip()
    shutil.copy(path("root.pem"), os.path.join(path("trusted"), digest + ".0"))
    return path("root.pem"), path("trusted"), path("relay-chain.pem"), path("relay.key")


def runs(project, base, sink, smtps, starttls, authority, trusted):
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
    # The relay's chain checked against the root, read both as a file and from a
    # folder (the system's own authorities are one or the other).
    trusting = dict(env, SSL_CERT_FILE=authority, SSL_CERT_DIR=trusted)
    yield unsigned, bench.send_command(project, smtps.port, 4, scheme="smtps", trusted=True), trusting
    yield unsigned, bench.send_command(project, starttls.port, 4, query="?tls=required"), trusting
    yield unsigned, [bench.VERDICT, "--project", project, "send", "--quiet", "--transport", "outbox:outbox"], env


def check():
    """Says how much of the list the release binary has, and whether the
    functions it has are laid out together; fails when it is under 90 %."""
    found, listed, span, size = bench.symbol_order_coverage()
    together = span < 1.2 * size
    print("%d of the %d functions in %s are in %s (%.0f %%); they span %.1f MB of code for %.1f MB of their own (%s)"
          % (found, listed, os.path.relpath(ORDER, bench.ROOT), os.path.relpath(bench.VERDICT, bench.ROOT),
             100 * found / max(listed, 1), span / 1e6, size / 1e6,
             "laid out together" if together else "not laid out together"))
    if found < 0.9 * listed or not together:
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
    folder = os.path.join(bench.WORK, "order-tls")
    shutil.rmtree(folder, ignore_errors=True)
    authority, trusted, cert, key = test_authority(folder)
    used_by = {}
    with contextlib.ExitStack() as started:
        sink = bench.Sink()
        started.callback(sink.stop)
        smtps = bench.Stunnel(sink.port, cert=cert, key=key)
        started.callback(smtps.stop)
        # TLS 1.2 here, 1.3 through the other: relays speak either.
        starttls = bench.Stunnel(sink.port, cert=cert, key=key, starttls=True, tls12=True)
        started.callback(starttls.stop)
        for i, (setup, command, env) in enumerate(runs(project, base, sink, smtps, starttls, authority, trusted)):
            setup()
            names = executed(command, os.path.join(bench.WORK, "callgrind.%d.out" % i), env)
            setup()
            names |= sampled(command, os.path.join(bench.WORK, "perf.%d.data" % i), env)
            for name in names:
                used_by.setdefault(name, []).append(i)
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
