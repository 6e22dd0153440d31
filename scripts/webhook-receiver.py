#!/usr/bin/env python3
"""A webhook receiver for Junction's tests, checking signatures with the Standard Webhooks
specification's own Python library (`standardwebhooks` from PyPI), an implementation
independent of the Rust one Junction signs with.

    webhook-receiver.py --secrets FILE --log FILE [--port N]

It prints `listening on PORT` once it accepts requests. For every POST it appends one JSON
line to the log: the path, the `webhook-id`, whether the signature verified with any
secret in the secrets file (one per line, read again for every request, so a test can
rotate), the error if not, and the parsed body. The path chooses the answer:

- `/hook`: 204 if the signature verified, 401 if not;
- `/status/N`: N, whatever the signature (`?retry_after=S` adds `Retry-After: S`);
- `/slow/MS`: waits MS milliseconds, then as `/hook`.
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    lock = threading.Lock()

    def verify(body, headers):
        try:
            with open(args.secrets) as f:
                secrets = [line.strip() for line in f if line.strip()]
        except FileNotFoundError:
            secrets = []
        if not secrets:
            return False, "no secrets to verify with"
        error = None
        for secret in secrets:
            try:
                Webhook(secret).verify(body, headers)
                return True, None
            except WebhookVerificationError as e:
                error = str(e)
            except Exception as e:  # a malformed header: the library raises raw errors
                error = f"malformed: {e}"
        return False, error

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            url = urlparse(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified, error = verify(body, headers)
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            entry = {
                "path": url.path,
                "id": headers.get("webhook-id"),
                "timestamp": headers.get("webhook-timestamp"),
                "verified": verified,
                "error": error,
                "body": parsed,
            }
            with lock:
                with open(args.log, "a") as log:
                    log.write(json.dumps(entry) + "\n")
            parts = url.path.strip("/").split("/")
            status = 204 if verified else 401
            extra = {}
            if parts[0] == "status" and len(parts) > 1:
                status = int(parts[1])
                retry = parse_qs(url.query).get("retry_after")
                if retry:
                    extra["Retry-After"] = retry[0]
            elif parts[0] == "slow" and len(parts) > 1:
                time.sleep(int(parts[1]) / 1000)
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
