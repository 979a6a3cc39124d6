"""Django processes of the scale-out tests, each in its own process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

REPO = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_env(**values: str) -> dict[str, str]:
    """The environment of a Django process of ours: the real settings, nothing inherited that
    would point it elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CENTRAL_", "DATABASE_", "REDIS_", "EPOCHS_", "JOB_"))
    }
    return {**env, "DJANGO_SETTINGS_MODULE": "epoca_builder.settings", "PYTHONUNBUFFERED": "1", **values}


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    """Run ``manage.py`` to completion; its output is returned, or shown when it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def start(env: dict, log: Path, *args: str) -> subprocess.Popen:
    """``manage.py <args>`` in its own process group (its pid is the group id)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen) -> None:
    """Stop a process group: SIGINT (clean shutdown), then SIGKILL."""
    for sig, wait_s in ((signal.SIGINT, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for(predicate, timeout: float, what, interval: float = 0.5):
    """Poll ``predicate``; ``what`` (text, or a function giving it at failure) names the wait."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")
