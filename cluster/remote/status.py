"""Server status from portable commands in one round trip.

One small sh script prints marked sections (CPU count, load, memory, disk of the remote root,
GPUs when ``nvidia-smi`` exists); `parse_status` turns them into a `ServerStatus`. Nothing
here depends on a distribution-specific tool such as landscape-sysinfo.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass

import paramiko
from fabric import Connection

from .commands import normalize_root, quote, run_checked
from .connection import DEFAULT_TIMEOUT, ServerSpec, connect
from .errors import RemoteCommandError

MARK = "@@eb:"
GPU_QUERY = "index,name,memory.total,memory.used,utilization.gpu"
MIB = 1024 * 1024


@dataclass(frozen=True)
class GpuStatus:
    index: int
    name: str
    memory_total_bytes: int
    memory_used_bytes: int
    utilization_percent: float | None


@dataclass(frozen=True)
class ServerStatus:
    online: bool
    error: str = ""
    cpu_count: int | None = None
    load_1: float | None = None
    load_5: float | None = None
    load_15: float | None = None
    memory_total_bytes: int | None = None
    memory_available_bytes: int | None = None
    disk_path: str | None = None
    disk_total_bytes: int | None = None
    disk_available_bytes: int | None = None
    gpus: tuple[GpuStatus, ...] = ()


def status_script(remote_root: str) -> str:
    """The sh script whose output `parse_status` reads; df measures the root's nearest existing parent."""
    root = quote(normalize_root(remote_root))
    return "\n".join(
        [
            f"echo '{MARK}cpu'",
            "getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || grep -c '^processor' /proc/cpuinfo",
            f"echo '{MARK}load'",
            "cat /proc/loadavg 2>/dev/null || uptime",
            f"echo '{MARK}mem'",
            "cat /proc/meminfo 2>/dev/null",
            f"echo '{MARK}disk'",
            f'd={root}; while [ ! -d "$d" ]; do d=$(dirname -- "$d"); done; echo "$d"; df -Pk -- "$d"',
            f"echo '{MARK}gpu'",
            "if command -v nvidia-smi >/dev/null 2>&1; then "
            f"nvidia-smi --query-gpu={GPU_QUERY} --format=csv,noheader,nounits 2>/dev/null; fi",
            "exit 0",
        ]
    )


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(MARK):
            current = sections.setdefault(line[len(MARK) :].strip(), [])
        elif current is not None and line.strip():
            current.append(line.rstrip())
    return sections


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _float(value: str) -> float | None:
    try:
        return float(value.strip().replace(",", "."))
    except ValueError:
        return None


def _load(lines: list[str]) -> tuple[float | None, float | None, float | None]:
    if not lines:
        return None, None, None
    line = lines[0]
    # /proc/loadavg: "0.52 0.58 0.59 1/467 12345"; uptime: "... load average(s): 0.52, 0.58, 0.59"
    match = re.search(r"load averages?:\s*([\d.,]+)[,\s]+([\d.,]+)[,\s]+([\d.,]+)", line)
    values = match.groups() if match else line.split()[:3]
    loads = [_float(v.rstrip(",")) for v in values] + [None, None, None]
    return loads[0], loads[1], loads[2]


def _memory(lines: list[str]) -> tuple[int | None, int | None]:
    kib = {}
    for line in lines:
        key, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            kib[key.strip()] = int(fields[0]) * 1024
    available = kib.get("MemAvailable")
    if available is None and "MemFree" in kib:  # kernels before 3.14
        available = kib["MemFree"] + kib.get("Buffers", 0) + kib.get("Cached", 0)
    return kib.get("MemTotal"), available


def _disk(lines: list[str]) -> tuple[str | None, int | None, int | None]:
    if len(lines) < 3:
        return (lines[0] if lines else None), None, None
    fields = lines[-1].split()
    # Parse from the capacity column ("42%") leftwards: filesystem names may contain spaces.
    for i, field in enumerate(fields):
        if field.endswith("%") and i >= 3:
            total, avail = _int(fields[i - 3]), _int(fields[i - 1])
            return lines[0], total * 1024 if total is not None else None, avail * 1024 if avail is not None else None
    return lines[0], None, None


def _gpus(lines: list[str]) -> tuple[GpuStatus, ...]:
    gpus = []
    for row in csv.reader(lines, skipinitialspace=True):
        if len(row) < 5 or _int(row[0]) is None:
            continue
        total, used = _int(row[2]), _int(row[3])
        gpus.append(
            GpuStatus(
                index=int(row[0]),
                name=row[1].strip(),
                memory_total_bytes=(total or 0) * MIB,
                memory_used_bytes=(used or 0) * MIB,
                utilization_percent=_float(row[4]),
            )
        )
    return tuple(gpus)


def parse_status(text: str) -> ServerStatus:
    """Read the output of `status_script`; a missing section leaves its fields ``None``."""
    sections = _sections(text)
    load_1, load_5, load_15 = _load(sections.get("load", []))
    memory_total, memory_available = _memory(sections.get("mem", []))
    disk_path, disk_total, disk_available = _disk(sections.get("disk", []))
    cpu = sections.get("cpu", [])
    return ServerStatus(
        online=True,
        cpu_count=_int(cpu[0]) if cpu else None,
        load_1=load_1,
        load_5=load_5,
        load_15=load_15,
        memory_total_bytes=memory_total,
        memory_available_bytes=memory_available,
        disk_path=disk_path,
        disk_total_bytes=disk_total,
        disk_available_bytes=disk_available,
        gpus=_gpus(sections.get("gpu", [])),
    )


def read_status(conn: Connection, remote_root: str, *, timeout: float = DEFAULT_TIMEOUT) -> ServerStatus:
    """Status over an open connection, in one command."""
    return parse_status(run_checked(conn, status_script(remote_root), timeout=timeout))


def server_status(
    spec: ServerSpec, known_hosts_path: str | os.PathLike, *, timeout: float = DEFAULT_TIMEOUT
) -> ServerStatus:
    """Connect and read the status; an unreachable server or refused login reads as offline.

    Host key and private key errors are raised, not reported as offline: they need an admin.
    """
    try:
        with connect(spec, known_hosts_path, timeout=timeout) as conn:
            return read_status(conn, spec.remote_root, timeout=timeout)
    except (OSError, EOFError, paramiko.SSHException, RemoteCommandError) as exc:
        return ServerStatus(online=False, error=f"{type(exc).__name__}: {exc}")
