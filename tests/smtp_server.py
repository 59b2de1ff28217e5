#!/usr/bin/env python3
"""A loopback SMTP server for verdict's tests, built on aiosmtpd.

The SMTP protocol is aiosmtpd's; this file only configures it, stores what it
accepts and injects faults through aiosmtpd's handler hooks. It binds 127.0.0.1
only and stops after --max-seconds or --max-messages, whichever comes first.

Prints the port it listens on as its first line of output.

Each accepted message is stored as SPOOL/NNNNNN.eml with SPOOL/NNNNNN.json holding
the envelope; each injected fault is appended to SPOOL/faults.jsonl.

--pipelining announces PIPELINING, so that clients send MAIL, RCPT and DATA at once.

Fault rules (--faults FILE, JSON): [{"address": "a@example.com", "stage": "mail" |
"mail-silent" | "rcpt" | "rcpt-silent" | "data" | "drop" | "accept" | "dot-close",
"reply": "451 4.3.0 Try later", "times": 2, "encoding": "latin-1"}], where "address"
"*" matches every address, "mail" answers MAIL FROM (the address is the sender),
"mail-silent" never answers MAIL FROM (nor anything after it on that connection),
"rcpt-silent" answers RCPT and then never answers that connection again, "drop"
closes the connection after the message data arrives, without a reply and without
keeping the message, "accept" keeps the message and answers with the rule's reply
(a 250 in any bytes), "dot-close" keeps the message and closes the connection
without a reply, and "times" (absent: always) is how often the fault happens before
the address is accepted. "{address}" in a reply is replaced by the address, as
relays that name the recipient do; "encoding" sends the reply in that encoding
(e.g. latin-1, to send bytes that are not UTF-8).

--greeting "421 ..." answers every connection with that line and closes it.
--smtputf8 offers SMTPUTF8 (RFC 6531).
--idle-timeout SECONDS closes a connection idle for that long (aiosmtpd's timeout).
"""

import argparse
import asyncio
import json
import os
import signal
import ssl

from aiosmtpd.smtp import SMTP, AuthResult


class Handler:
    def __init__(self, spool, rules, max_messages, stop, pipelining=False):
        self.pipelining = pipelining
        self.spool = spool
        self.rules = rules
        self.max_messages = max_messages
        self.stop = stop
        self.injected = {}
        self.accepted = 0

    def fault(self, stage, address):
        for rule in self.rules:
            if rule["stage"] != stage:
                continue
            if rule["address"] != "*" and rule["address"].lower() != address.lower():
                continue
            key = (stage, address.lower())
            count = self.injected.get(key, 0)
            times = rule.get("times")
            if times is not None and count >= times:
                return None
            self.injected[key] = count + 1
            with open(os.path.join(self.spool, "faults.jsonl"), "a") as log:
                log.write(json.dumps({"stage": stage, "address": address.lower()}) + "\n")
            return rule
        return None

    @staticmethod
    def reply(rule, address):
        """The rule's reply for an address, as text or (in another encoding) bytes."""
        text = rule["reply"].replace("{address}", address)
        encoding = rule.get("encoding")
        return text.encode(encoding) if encoding else text

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            # aiosmtpd reads commands from a buffered stream, so it handles
            # pipelined input; announcing it makes clients send that way.
            responses.insert(1, "250-PIPELINING")
        return responses

    async def silence(self, session):
        """A relay gone silent: the command gets no answer (the test ends it)."""
        if getattr(session, "silent", False):
            await asyncio.sleep(3600)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await self.silence(session)
        if self.fault("mail-silent", address):
            session.silent = True
            await self.silence(session)
        rule = self.fault("mail", address)
        if rule:
            return self.reply(rule, address)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RSET(self, server, session, envelope):
        await self.silence(session)
        return "250 2.0.0 Ok"

    async def handle_QUIT(self, server, session, envelope):
        await self.silence(session)
        return "221 2.0.0 Bye"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self.silence(session)
        rule = self.fault("rcpt-silent", address)
        if rule:
            session.silent = True
            return self.reply(rule, address)
        rule = self.fault("rcpt", address)
        if rule:
            return self.reply(rule, address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        await self.silence(session)
        if self.closes("drop", server, envelope):
            return "421 dropped"  # never reaches the client
        rule = self.answer("data", envelope)
        if rule:
            return rule
        self.keep(envelope)
        if self.closes("dot-close", server, envelope):
            return "421 closed"  # never reaches the client
        return self.answer("accept", envelope) or "250 2.0.0 Ok: queued as %d" % self.accepted

    def answer(self, stage, envelope):
        """The reply of the first recipient with a fault at this stage, if any."""
        for address in envelope.rcpt_tos:
            rule = self.fault(stage, address)
            if rule:
                return self.reply(rule, address)
        return None

    def closes(self, stage, server, envelope):
        """Closes the connection, without a reply, when a recipient has this fault."""
        if any(self.fault(stage, address) for address in envelope.rcpt_tos):
            server.transport.abort()
            return True
        return False

    def keep(self, envelope):
        """Stores an accepted message in the spool."""
        self.accepted += 1
        name = os.path.join(self.spool, "%06d" % self.accepted)
        with open(name + ".eml.tmp", "wb") as out:
            out.write(envelope.original_content)
        with open(name + ".json.tmp", "w") as out:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, out)
        os.rename(name + ".json.tmp", name + ".json")
        os.rename(name + ".eml.tmp", name + ".eml")
        if self.accepted >= self.max_messages:
            self.stop.set()


class GreetingSMTP(SMTP):
    """aiosmtpd's SMTP with another greeting, e.g. 421 from a relay that is down."""

    greeting = None

    async def _handle_client(self):
        if self.greeting is None:
            return await super()._handle_client()
        await self.push(self.greeting)
        self.transport.close()


def authenticator(expected_user, expected_password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == expected_user and auth_data.password.decode() == expected_password
        # handled=False lets aiosmtpd answer 535 itself when the check fails.
        return AuthResult(success=ok, handled=False)
    return check


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spool", required=True)
    parser.add_argument("--faults")
    parser.add_argument("--auth", help="USER:PASSWORD to require")
    parser.add_argument("--pipelining", action="store_true", help="announce PIPELINING (RFC 2920)")
    parser.add_argument("--tls-cert", help="offer STARTTLS with this certificate, and require it")
    parser.add_argument("--tls-key", help="the certificate's key")
    parser.add_argument("--greeting", help="answer every connection with this line, then close it")
    parser.add_argument("--smtputf8", action="store_true", help="offer SMTPUTF8 (RFC 6531)")
    parser.add_argument("--idle-timeout", type=float, help="close a connection idle for this long")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--max-messages", type=int, default=100000)
    args = parser.parse_args()

    rules = []
    if args.faults:
        with open(args.faults) as f:
            rules = json.load(f)
    stop = asyncio.Event()
    handler = Handler(args.spool, rules, args.max_messages, stop, args.pipelining)
    options = {"hostname": "verdict-test-relay", "data_size_limit": 10 * 1024 * 1024,
               "enable_SMTPUTF8": args.smtputf8}
    GreetingSMTP.greeting = args.greeting
    if args.idle_timeout:
        options["timeout"] = args.idle_timeout
    if args.auth:
        user, password = args.auth.split(":", 1)
        options.update(auth_required=True, auth_require_tls=False, authenticator=authenticator(user, password))

    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        options.update(tls_context=context, require_starttls=True)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: GreetingSMTP(handler, **options), host="127.0.0.1", port=0)
    print(server.sockets[0].getsockname()[1], flush=True)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.max_seconds)
    except asyncio.TimeoutError:
        pass
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
