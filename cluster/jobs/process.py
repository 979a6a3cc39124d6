"""Run a job's heavy work (TensorFlow) in a child process that dies with its worker.

The child gets its own process group (so a cancel can kill it and everything it started) and
the kernel's parent-death signal (so it never outlives a worker that was killed). It reports
back with JSON lines on stdout: ``{"progress": [done, total, "message"]}``, ``{"log": "..."}``,
``{"state": {...}}`` (resumable progress kept on the job) and finally ``{"result": {...}}``.
"""

from __future__ import annotations

import ctypes
import json
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cluster.jobs.context import JobCancelled, JobContext, JobFailed
from cluster.jobs.noise import StartupNoise
from core.child_events import emit  # noqa: F401  (the children's side, kept importable from here)

if TYPE_CHECKING:
    from cluster.services.remote_jobs import RemoteRun

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn`` of a child: the kernel kills it when the thread that started it ends."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not Linux: the process group kill on cancel still applies
        pass


def _start(argv: Sequence[str], env: dict | None, cwd: str | None) -> subprocess.Popen:
    return subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )


def _killer(proc: subprocess.Popen):
    def kill() -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    return kill


def _ended(ctx: JobContext, argv: Sequence[str], code: int, result: dict | None) -> dict:
    if ctx.cancel_seen:
        raise JobCancelled("cancelled on request")
    if code != 0:
        raise JobFailed(
            f"{os.path.basename(argv[1] if len(argv) > 1 else argv[0])} exited with status {code}", retryable=True
        )
    if result is None:
        raise JobFailed("the child process ended without a result", retryable=True)
    return result


def run_child(ctx: JobContext, argv: Sequence[str], *, env: dict | None = None, cwd: str | None = None) -> dict:
    """Run ``argv``, forwarding its progress and log to the job; return its result event."""
    proc = _start(argv, env, cwd)
    kill = _killer(proc)
    ctx.on_cancel(kill)
    result: dict | None = None
    noise = StartupNoise()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            result = handle_line(ctx, line.rstrip("\n"), result, noise=noise)
        code = proc.wait()
    except BaseException:
        kill()
        proc.wait()
        raise
    return _ended(ctx, argv, code, result)


def run_children(
    ctx: JobContext, argvs: Sequence[Sequence[str]], *, env: dict | None = None, cwd: str | None = None
) -> list[dict]:
    """Run several children at once (a stage that shares its work among the cores); their
    progress adds up. Each reports as ``run_child``'s does; the first that fails kills the others.

    Only this thread writes to the job: threads read the children's output into a queue.
    """
    if len(argvs) == 1:
        return [run_child(ctx, argvs[0], env=env, cwd=cwd)]
    procs = [_start(argv, env, cwd) for argv in argvs]
    kills = [_killer(proc) for proc in procs]
    for kill in kills:
        ctx.on_cancel(kill)
    lines: queue.Queue[tuple[int, str | None]] = queue.Queue()

    def read(index: int, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put((index, line.rstrip("\n")))
        lines.put((index, None))

    readers = [threading.Thread(target=read, args=(i, p), daemon=True) for i, p in enumerate(procs)]
    for reader in readers:
        reader.start()
    results: list[dict | None] = [None] * len(procs)
    noises = [StartupNoise() for _ in procs]
    progress = [[0, 0] for _ in procs]
    running = len(procs)
    try:
        while running:
            index, line = lines.get()
            if line is None:  # that child has ended: a failure ends the others now
                running -= 1
                _ended(ctx, argvs[index], procs[index].wait(), results[index])
                continue
            event = parse_event(line)
            if event is not None and "progress" in event:
                done, total, message = ([*list(event["progress"]), None, None])[:3]
                progress[index] = [int(done or 0), int(total or 0)]
                ctx.progress(sum(p[0] for p in progress), sum(p[1] for p in progress), message)
            else:
                results[index] = handle_line(ctx, line, results[index], noise=noises[index])
        codes = [proc.wait() for proc in procs]
    except BaseException:
        for kill in kills:
            kill()
        for proc in procs:
            proc.wait()
        raise
    return [_ended(ctx, argv, code, result) for argv, code, result in zip(argvs, codes, results, strict=True)]


def handle_line(
    ctx: JobContext | RemoteRun,
    line: str,
    result: dict | None,
    *,
    save_state=None,
    noise: StartupNoise | None = None,
) -> dict | None:
    """Apply one line of a child's output to the job; returns the result event seen so far.

    ``save_state`` replaces ``ctx.save_state`` for state events (a remote run adds its log offset);
    ``noise`` (one per child's output) tells TensorFlow's start-up noise, which is not logged.
    """
    event = parse_event(line)
    if event is None:
        if not (noise or StartupNoise())(line):
            ctx.log(line)
    elif "progress" in event:
        done, total, message = ([*list(event["progress"]), None, None])[:3]
        ctx.progress(done, total, message)
    elif "log" in event:
        ctx.log(event["log"])
    elif "state" in event:
        (save_state or ctx.save_state)(**event["state"])
    elif "result" in event:
        return event["result"]
    elif "error" in event:
        raise JobFailed(event["error"], retryable=bool(event.get("retryable")))
    return result


def parse_event(line: str) -> dict | None:
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None
