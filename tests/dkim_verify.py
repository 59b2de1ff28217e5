#!/usr/bin/env python3
"""Verifies every DKIM signature of a message with dkimpy, an independent
implementation, given the public key records directly (no DNS lookup).

Usage: dkim_verify.py MESSAGE_FILE RECORD...
where each RECORD is SELECTOR=TXT_RECORD_FILE (the key published for that
selector) or a bare TXT_RECORD_FILE (the key for any selector).

Prints one line per signature, "pass d=... s=... a=... h=<signed headers>" or
"fail d=... s=... <reason>", and exits 0 when there is at least one signature
and every one passes, 1 otherwise.
"""

import re
import sys

import dkim


def main():
    message = open(sys.argv[1], "rb").read()
    records = {}
    for arg in sys.argv[2:]:
        selector, _, path = arg.rpartition("=")
        records[selector.lower()] = open(path, "rb").read().strip()

    def dns(name, timeout=5):
        selector = name.decode().split("._domainkey.")[0].lower()
        return records.get(selector, records.get(""))

    verifier = dkim.DKIM(message)
    count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
    if count == 0:
        print("fail no DKIM-Signature")
        return 1
    ok = True
    for index in range(count):
        verifier = dkim.DKIM(message)
        try:
            passed = verifier.verify(idx=index, dnsfunc=dns)
            reason = "signature does not verify"
        except dkim.DKIMException as error:
            passed, reason = False, str(error)
        fields = dict(verifier.signature_fields or {})
        tags = " ".join(
            "%s=%s" % (tag, fields.get(tag.encode(), b"").decode()) for tag in ("d", "s", "a")
        )
        signed = re.sub(r"\s", "", fields.get(b"h", b"").decode())
        if passed:
            print("pass %s h=%s" % (tags, signed))
        else:
            print("fail %s %s" % (tags, reason))
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
