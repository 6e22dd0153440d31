#!/usr/bin/env python3
"""An SMTP receiver for Junction's tests, on aiosmtpd (PyPI), an SMTP server written
independently of the Rust client Junction sends with.

    smtp-receiver.py --log FILE [--port N] [--user U --password P] [--reject CODE]

It prints `listening on PORT` once it accepts connections. For every message it appends
one JSON line to the log: the envelope (`mail_from`, `rcpt_tos`), the login it was given
(`login`, `password`, or null), the headers `From`, `To` and `Subject` as Python's email
package decodes them, and the plain-text body, decoded.

- `--user` and `--password`: AUTH (PLAIN or LOGIN) is required, over the plain connection,
  and only these are accepted; anything else gets 535.
- `--reject CODE`: every message is answered with CODE (451 for "try again later", 550
  for a refusal) and not logged.
"""

import argparse
import json
import socket
import sys
import threading
import time
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--reject", type=int)
    args = parser.parse_args()
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if args.reject:
                return f"{args.reject} Refused by the test receiver"
            message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
            body = message.get_body(preferencelist=("plain",))
            login = session.auth_data
            entry = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "login": login.login.decode() if login else None,
                "password": login.password.decode() if login else None,
                "from": str(message["From"]),
                "to": str(message["To"]),
                "subject": str(message["Subject"]),
                "headers": [name for name in message.keys()],
                "text": body.get_content() if body is not None else None,
            }
            with lock, open(args.log, "a") as f:
                f.write(json.dumps(entry) + "\n")
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == args.user and auth_data.password.decode() == args.password
        # handled=False: a failure is answered with 535 (the default leaves the client waiting).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    port = args.port or free_port()
    options = {}
    if args.user is not None:
        options = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print(f"listening on {port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
