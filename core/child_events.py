"""The child side of the job system's child-process protocol: one JSON event per line on stdout.

No Django import: engines that run as child processes (``python -m ...``) report with it.
"""

from __future__ import annotations

import json
import sys


def emit(**event) -> None:
    """Used by the child: one event per line on stdout."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def serve_requests(handle, *, stdin=None, stdout=None) -> None:
    """The child's side of a persistent child (``cluster.jobs.persistent``): call
    ``handle(body) -> status`` for each request line, then say the request was served.

    A failed request (status other than 0) ends the loop, so the child exits and the next request
    starts a fresh one; so does the end of the input (the parent closed it or died).
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    for line in stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        status = handle(message["body"])
        stdout.write(json.dumps({"served": message["request"], "status": status}) + "\n")
        stdout.flush()
        if status != 0:
            return
