import os
import shutil

from cluster.remote.connection import connect
from cluster.remote.status import GpuStatus, parse_status, read_status, server_status, status_script


def _meminfo_total_bytes() -> int:
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def test_status_of_a_live_server(ssh_servers):
    # The servers run on this machine, so its own numbers are the expected ones.
    for spec in ssh_servers.specs:
        status = server_status(spec, ssh_servers.known_hosts_path)
        assert status.online and status.error == ""
        assert status.cpu_count == os.cpu_count()
        assert status.load_1 is not None and status.load_1 >= 0 and status.load_15 is not None
        assert status.memory_total_bytes == _meminfo_total_bytes()
        assert 0 < status.memory_available_bytes <= status.memory_total_bytes
        assert status.disk_path == spec.remote_root
        assert abs(status.disk_total_bytes - shutil.disk_usage(spec.remote_root).total) <= 1024
        assert 0 < status.disk_available_bytes <= status.disk_total_bytes
        if shutil.which("nvidia-smi") is None:
            assert status.gpus == ()


def test_disk_of_a_root_not_created_yet_uses_its_parent(ssh_servers):
    spec = ssh_servers.specs[1]
    with connect(spec, ssh_servers.known_hosts_path) as conn:
        status = read_status(conn, spec.remote_root + "/not/yet")
    assert status.disk_path == spec.remote_root


def test_stopped_server_reads_offline(ssh_servers):
    ssh_servers.stop(0)
    status = server_status(ssh_servers.specs[0], ssh_servers.known_hosts_path, timeout=3)
    assert not status.online and status.error
    assert server_status(ssh_servers.specs[1], ssh_servers.known_hosts_path).online


def test_parse_status_portable_fallbacks():
    text = "\n".join(
        [
            "@@eb:cpu",
            "8",
            "@@eb:load",
            " 10:01:02 up 3 days,  2 users,  load averages: 1,25, 0,50, 0,10",
            "@@eb:mem",
            "MemTotal:       1000 kB",
            "MemFree:         100 kB",
            "Buffers:          20 kB",
            "Cached:           30 kB",
            "@@eb:disk",
            "/data/eb",
            "Filesystem     1024-blocks      Used Available Capacity Mounted on",
            "my fs name        2000       500      1500      25% /data",
            "@@eb:gpu",
            "0, NVIDIA GeForce RTX 3090, 24576, 1024, 37",
            "1, Tesla T4, 15360, 0, [N/A]",
        ]
    )
    status = parse_status(text)
    assert status.online and status.cpu_count == 8
    assert (status.load_1, status.load_5, status.load_15) == (1.25, 0.5, 0.1)
    assert status.memory_total_bytes == 1000 * 1024 and status.memory_available_bytes == 150 * 1024
    assert status.disk_path == "/data/eb"
    assert (status.disk_total_bytes, status.disk_available_bytes) == (2000 * 1024, 1500 * 1024)
    assert status.gpus == (
        GpuStatus(0, "NVIDIA GeForce RTX 3090", 24576 * 2**20, 1024 * 2**20, 37.0),
        GpuStatus(1, "Tesla T4", 15360 * 2**20, 0, None),
    )


def test_parse_status_with_missing_sections():
    status = parse_status("@@eb:cpu\n4\n@@eb:load\n0.10 0.20 0.30 1/100 42\n@@eb:mem\n@@eb:disk\n@@eb:gpu\n")
    assert (status.cpu_count, status.load_1, status.load_5, status.load_15) == (4, 0.1, 0.2, 0.3)
    assert status.memory_total_bytes is None and status.disk_total_bytes is None and status.gpus == ()


def test_status_script_quotes_the_root():
    script = status_script("/x/eb root; touch pwned")
    assert "d='/x/eb root; touch pwned';" in script
