"""A persistent child for the job-spine tests: each request runs timed steps and reports them.

    python -m testing.persistent_child

A request ``{"steps": n, "step_seconds": s, "status": k}`` emits a progress event per step, then
its result (this process's pid and how many requests it served) unless ``status`` is not 0, and
``unterminated`` text without a newline last.
"""

import os
import sys
import time

from core.child_events import emit, serve_requests

served = 0


def handle(body: dict) -> int:
    global served
    served += 1
    for step in range(body.get("steps", 1)):
        time.sleep(body.get("step_seconds", 0))
        emit(progress=[step + 1, body.get("steps", 1), f"step {step + 1}"])
    emit(log=f"request {served} of process {os.getpid()}")
    status = int(body.get("status", 0))
    if status == 0:
        emit(result={"pid": os.getpid(), "served": served})
    if body.get("unterminated"):  # output without a final newline, as a library may leave it
        sys.stdout.write(body["unterminated"])
    return status


if __name__ == "__main__":
    serve_requests(handle)
