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
