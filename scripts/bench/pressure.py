#!/usr/bin/env python3
"""Background submissions for scripts/bench-plugins.sh: CONNECTIONS threads each POST a
respondent's answers to URL, then wait INTERVAL seconds, for SECONDS seconds, so the load
they add stays about the same whether each submission takes a millisecond or its app's
whole time limit. Prints how many were answered with each status, and how long they took.

Usage: pressure.py URL CONNECTIONS SECONDS INTERVAL
"""

import http.client
import json
import sys
import threading
import time
import urllib.parse

url, connections, seconds, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
target = urllib.parse.urlsplit(url)
body = json.dumps({"answers": {"email": "ada@example.com", "name": "Ada", "size": 900, "country": "US",
                               "plan": "team", "agree": True}})
statuses: dict[int, int] = {}
took: list[float] = []
lock = threading.Lock()
end = time.monotonic() + seconds


def submit() -> None:
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            conn.request("POST", target.path, body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            status = 0
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            took.append(time.monotonic() - started)
        time.sleep(interval)


threads = [threading.Thread(target=submit) for _ in range(connections)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
took.sort()
median = took[len(took) // 2] * 1000 if took else 0
print(f"submissions: {sum(statuses.values())}, by status {dict(sorted(statuses.items()))}, "
      f"median {median:.1f} ms")
