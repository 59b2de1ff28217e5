#!/usr/bin/env python3
"""A loopback HTTPS server for `verdict doctor --online` tests: answers GET with
--status (200 by default) and a short page, over TLS with --cert and --key. It
binds 127.0.0.1 only, answers at most --max-requests requests and stops after
--max-seconds. Prints the port it listens on as its first line of output.
"""

import argparse
import http.server
import ssl
import sys
import threading


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--max-requests", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=120)
    args = parser.parse_args()
    answered = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            answered[0] += 1
            body = b"<!doctype html><title>test</title>\n"
            self.send_response(args.status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if answered[0] >= args.max_requests:
                threading.Thread(target=server.shutdown, daemon=True).start()

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    deadline = threading.Timer(args.max_seconds, server.shutdown)
    deadline.daemon = True
    deadline.start()
    print(server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
