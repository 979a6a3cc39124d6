"""A long-lived child process of a worker that serves one job's request after another.

Like :func:`cluster.jobs.process.run_child`, the child has its own process group (a cancel kills
it and everything it started) and the kernel's parent-death signal, so it never outlives its
worker. It is started from the worker's main thread only: the parent-death signal follows the
thread that forked the child, and the main thread lives as long as the worker process itself.

The protocol, one JSON object per line:

* the parent writes ``{"request": <id>, "body": {...}}`` on the child's stdin;
* the child answers with the events of :mod:`cluster.jobs.process` (progress, log, state, result,
  error) on stdout, then ``{"served": <id>, "status": <int>}``; status 0 means success, any other
  value is the exit status a one-shot child would have had. A child that fails a request may exit.
  The child's side of the loop is :func:`core.child_events.serve_requests`.

A child that died (killed, out of memory) is started again by the next request; a cancel kills it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence

from cluster.jobs.context import JobCancelled, JobContext, JobFailed
from cluster.jobs.noise import StartupNoise
from cluster.jobs.process import die_with_parent, handle_line, parse_event

SERVED = '{"served": '  # how the child's end-of-request event begins (json.dumps of {"served": id, ...})


class PersistentChild:
    """One child process serving requests in turn; not thread-safe (a worker runs one job at a time)."""

    def __init__(self, argv: Sequence[str], *, name: str, env: dict | None = None, cwd: str | None = None) -> None:
        self.argv = list(argv)
        self.name = name
        self.env = env
        self.cwd = cwd
        self._proc: subprocess.Popen | None = None
        self._owner_pid = 0
        self._requests = 0
        self._served_since_start = 0
        self._started_at = 0.0
        self.starts = 0

    @staticmethod
    def can_start_here() -> bool:
        """Only the main thread starts the child: its parent-death signal then refers to the worker itself."""
        return threading.current_thread() is threading.main_thread()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.alive() and self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._owner_pid == os.getpid() and self._proc.poll() is None

    def start(self) -> None:
        if not self.can_start_here():
            raise RuntimeError(f"{self.name}: a persistent child is started from the main thread only")
        self._proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env={**os.environ, **(self.env or {})},
            cwd=self.cwd,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self._owner_pid = os.getpid()
        self._served_since_start = 0
        self._started_at = time.monotonic()
        self.starts += 1

    def kill(self) -> None:
        """Kill the child's process group (safe from another thread: the serving thread sees it end)."""
        proc = self._proc
        if proc is None or self._owner_pid != os.getpid():
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        """Kill the child and reap it; the next request starts a new one."""
        proc = self._proc
        if proc is not None and self._owner_pid == os.getpid():
            self.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
        self._proc = None

    def serve(self, ctx: JobContext, body: dict) -> dict:
        """Send one request, forward its progress and log to the job, and return its result event."""
        if not self.alive():
            # A child inherited through a fork belongs to the parent process: leave it alone.
            if self._proc is not None and self._owner_pid == os.getpid():
                self.stop()
            self._proc = None
            self.start()
            ctx.log(f"{self.name}: started process {self.pid}")
        elif not self._served_since_start:  # started ahead of its first request (with its worker)
            ctx.log(
                f"{self.name}: process {self.pid}, started {time.monotonic() - self._started_at:.1f} s before this job"
            )
        self._served_since_start += 1
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        ctx.on_cancel(self.kill)
        self._requests += 1
        request_id = self._requests
        result: dict | None = None
        status: int | None = None
        noise = StartupNoise()
        try:
            proc.stdin.write(json.dumps({"request": request_id, "body": body}) + "\n")
            proc.stdin.flush()
            for line in proc.stdout:
                line, status = _served(line.rstrip("\n"), request_id)
                if line:
                    result = handle_line(ctx, line, result, noise=noise)
                if status is not None:
                    break
        except BrokenPipeError:
            pass  # it died before reading the request: reported below with its exit status
        except BaseException:
            self.stop()
            raise
        if status is None:  # the output ended: the child died
            code = proc.wait()
            self.stop()
            if ctx.cancel_seen:
                raise JobCancelled("cancelled on request")
            raise JobFailed(f"the {self.name} ended with status {code}", retryable=True)
        if ctx.cancel_seen:
            self.stop()
            raise JobCancelled("cancelled on request")
        if status != 0:
            self.stop()
            raise JobFailed(f"the {self.name} failed with status {status}", retryable=True)
        if result is None:
            raise JobFailed(f"the {self.name} served a request without a result", retryable=True)
        return result


def _served(line: str, request_id: int) -> tuple[str, int | None]:
    """Split the end-of-request event off a line (output without a final newline may precede it)."""
    start = line.find(SERVED)
    if start < 0:
        return line, None
    event = parse_event(line[start:])
    if event is None or event.get("served") != request_id:
        return line, None
    return line[:start], int(event.get("status", 1))
