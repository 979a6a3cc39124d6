"""Waiting on conditions and processes in tests that start real workers."""

import os
import subprocess
import sys
import time
from pathlib import Path


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def start_worker(log: Path, **env: str) -> subprocess.Popen:
    """``manage.py qcluster`` with one worker process against the test database, in its own process group."""
    from django.conf import settings  # why: the waiting helpers above need no Django
    from django.db import connection

    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings",
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
            "WORKER_PROCESSES": "1",
            **env,
        },
        start_new_session=True,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def processes_with_environment(name: str, value: str) -> dict[int, str]:
    """The live processes (pid: command line) whose environment holds ``name=value``."""
    wanted = f"{name}={value}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone, or not ours
            continue
        if wanted in environment and pid_alive(int(entry.name)):
            found[int(entry.name)] = command
    return found
