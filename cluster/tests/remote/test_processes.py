import subprocess
import time
from pathlib import Path

import pytest

from cluster.remote.connection import connect
from cluster.remote.errors import RemoteError
from cluster.remote.processes import (
    LogChunk,
    RemoteProcess,
    exit_code,
    is_alive,
    kill_group,
    read_log,
    start_detached,
    tail_log,
)

# A parent that starts a child and a grandchild, each recording its pid, then waits.
FAMILY = "sleep 60 & echo $! > child.pid; sh -c 'sleep 60 & echo $! > grandchild.pid; wait' & echo started; wait"


def _gone(pid: int) -> bool:
    """Whether a local pid is gone (a zombie counts as gone: it no longer runs)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def conn_a(ssh_servers):
    with connect(ssh_servers.specs[0], ssh_servers.known_hosts_path) as conn:
        yield conn


def test_detached_family_is_killed_by_process_group(ssh_servers, conn_a):
    root = ssh_servers.specs[0].remote_root  # the server is this machine: pids are local
    proc = start_detached(conn_a, root, ["sh", "-c", FAMILY], log_relpath="logs/job 1.log", cwd_relpath="work")
    try:
        assert proc.pid == proc.pgid and proc.log_path == f"{root}/logs/job 1.log"
        _wait_for(lambda: Path(root, "work", "grandchild.pid").exists() and Path(root, "work", "child.pid").exists())
        pids = [proc.pid] + [int(Path(root, "work", f"{name}.pid").read_text()) for name in ("child", "grandchild")]
        assert is_alive(conn_a, proc) and not any(map(_gone, pids))
        assert kill_group(conn_a, proc, grace_s=5) == "terminated"
        assert all(map(_gone, pids))
        assert not is_alive(conn_a, proc)
        assert exit_code(conn_a, proc) is None  # killed: no exit status recorded
        assert kill_group(conn_a, proc) == "not running"
        assert tail_log(conn_a, root, "logs/job 1.log") == "started\n"
    finally:
        if not all(map(_gone, pids)):
            kill_group(conn_a, proc, grace_s=0.2)
    assert not ssh_servers.pwned_marker.exists()


def test_process_ignoring_sigterm_is_killed(ssh_servers, conn_a):
    root = ssh_servers.specs[0].remote_root
    proc = start_detached(conn_a, root, ["sh", "-c", "trap '' TERM; echo ready; sleep 60"], log_relpath="stubborn.log")
    _wait_for(lambda: Path(root, "stubborn.log").read_text() == "ready\n")
    assert kill_group(conn_a, proc, grace_s=0.5) == "killed"
    assert _gone(proc.pid)


def test_finished_process_records_exit_code_and_log(ssh_servers, conn_a):
    root = ssh_servers.specs[1].remote_root
    with connect(ssh_servers.specs[1], ssh_servers.known_hosts_path) as conn:
        proc = start_detached(
            conn,
            root,
            ["sh", "-c", 'for i in 1 2 3 4 5; do echo "line $i $GREETING"; done; exit 3'],
            log_relpath="run.log",
            env={"GREETING": "hi there; $(touch x)"},
        )
        _wait_for(lambda: Path(proc.exit_path).exists())
        assert not is_alive(conn, proc)
        assert exit_code(conn, proc) == 3
        assert tail_log(conn, root, "run.log", lines=2) == "line 4 hi there; $(touch x)\nline 5 hi there; $(touch x)\n"
    assert not Path(root, "x").exists()


def test_read_log_streams_from_an_offset(ssh_servers, conn_a):
    root = ssh_servers.specs[0].remote_root
    log = Path(root, "stream.log")
    assert read_log(conn_a, root, "stream.log") == LogChunk("", 0, 0, restarted=False)
    log.write_bytes(b"line1\n")
    first = read_log(conn_a, root, "stream.log")
    assert (first.text, first.next_offset) == ("line1\n", 6)
    with open(log, "ab") as handle:
        handle.write("x\u00e9".encode()[:-1])  # a character cut in the middle
    second = read_log(conn_a, root, "stream.log", first.next_offset)
    assert (second.text, second.next_offset) == ("x", 7)
    with open(log, "ab") as handle:
        handle.write("\u00e9".encode()[1:] + b"\n")
    third = read_log(conn_a, root, "stream.log", second.next_offset)
    assert (third.text, third.next_offset, third.restarted) == ("\u00e9\n", 10, False)
    log.write_bytes(b"new\n")  # rewritten: shorter than the offset
    fourth = read_log(conn_a, root, "stream.log", third.next_offset)
    assert (fourth.text, fourth.next_offset, fourth.restarted) == ("new\n", 4, True)
    capped = read_log(conn_a, root, "stream.log", 0, max_bytes=2)
    assert (capped.text, capped.next_offset, capped.size) == ("ne", 2, 4)


def test_refuses_to_signal_group_one(ssh_servers, conn_a):
    for pgid in (0, 1, -5):
        with pytest.raises(RemoteError, match="refusing"):
            kill_group(conn_a, RemoteProcess(pid=pgid, pgid=pgid, log_path="/x", exit_path="/x.exit"))


def test_group_of_zombies_is_not_alive(conn_a):
    # Where init does not reap orphans, a finished group leaves zombies that `kill -0` still sees.
    zombie = subprocess.Popen(["true"], start_new_session=True)  # not waited for: stays a zombie
    try:
        _wait_for(lambda: _gone(zombie.pid))
        assert Path(f"/proc/{zombie.pid}").exists()
        proc = RemoteProcess(pid=zombie.pid, pgid=zombie.pid, log_path="/x.log", exit_path="/x.log.exit")
        assert not is_alive(conn_a, proc)
        assert kill_group(conn_a, proc) == "not running"
    finally:
        zombie.wait()
