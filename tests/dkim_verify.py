#!/usr/bin/env python3
"""Verifies the DKIM signature of a message with dkimpy, an independent
implementation, given the public key record directly (no DNS lookup).

Usage: dkim_verify.py MESSAGE_FILE TXT_RECORD_FILE
Prints "pass h=<signed headers>" and exits 0, or "fail <reason>" and exits 1.
"""

import sys

import dkim


def main():
    message = open(sys.argv[1], "rb").read()
    record = open(sys.argv[2], "rb").read().strip()

    def dns(name, timeout=5):
        return record

    verifier = dkim.DKIM(message)
    try:
        ok = verifier.verify(dnsfunc=dns)
    except dkim.DKIMException as error:
        print("fail", error)
        return 1
    signature = dict(verifier.signature_fields) if verifier.signature_fields else {}
    signed = signature.get(b"h", b"").decode()
    if ok:
        print("pass h=" + signed)
        return 0
    print("fail signature does not verify; h=" + signed)
    return 1


if __name__ == "__main__":
    sys.exit(main())
