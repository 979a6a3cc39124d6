import hashlib
from pathlib import Path

import paramiko
import pytest

from cluster.remote.connection import connect
from cluster.remote.errors import SyncVerificationError, UnsafeRemotePathError
from cluster.remote.sync import local_manifest, pull, push

FILES = {
    "epoch.json": b'{"id": "_E1"}\n',
    "empty.txt": b"",
    "configs/KR_UL_1_2.json": b"[" + b"1," * 5000 + b"2]",
    "configs/deep/with space; and $(x).bin": bytes(range(256)) * 40,
}


def _write_tree(base: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        Path(base, rel).parent.mkdir(parents=True, exist_ok=True)
        Path(base, rel).write_bytes(data)


def _tree(base: Path) -> dict[str, bytes]:
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}


@pytest.fixture
def conn_a(ssh_servers):
    with connect(ssh_servers.specs[0], ssh_servers.known_hosts_path) as conn:
        yield conn


def test_local_manifest_hashes_and_excludes(tmp_path):
    _write_tree(tmp_path, {**FILES, "__pycache__/x.pyc": b"x", "pkg/__pycache__/y.pyc": b"y"})
    manifest = local_manifest(tmp_path, exclude=["__pycache__"])
    assert sorted(manifest) == sorted(FILES)
    for rel, data in FILES.items():
        assert manifest[rel] == (hashlib.sha256(data).hexdigest(), len(data))


def test_push_sends_only_changed_files_and_pull_verifies(ssh_servers, conn_a, tmp_path):
    root = ssh_servers.specs[0].remote_root  # the nasty root: spaces, quotes, ';'
    local = tmp_path / "local"
    _write_tree(local, FILES)
    progress = []
    first = push(conn_a, local, root, "_E1/data", progress=lambda d, t, m: progress.append((d, t)))
    assert sorted(first.transferred) == sorted(FILES) == sorted(first.verified)
    assert first.skipped == [] and first.bytes_transferred == sum(map(len, FILES.values()))
    assert progress[-1] == (len(FILES), len(FILES))
    assert _tree(Path(root, "_E1/data")) == FILES  # the server is this machine

    second = push(conn_a, local, root, "_E1/data")
    assert second.transferred == [] and len(second.skipped) == len(FILES) and second.bytes_transferred == 0

    Path(local, "epoch.json").write_bytes(b'{"id": "_E1", "v": 2}\n')
    Path(local, "configs/new.json").write_bytes(b"{}")
    third = push(conn_a, local, root, "_E1/data")
    assert sorted(third.transferred) == ["configs/new.json", "epoch.json"]
    assert len(third.skipped) == len(FILES) - 1
    assert _tree(Path(root, "_E1/data")) == _tree(local)
    assert not ssh_servers.pwned_marker.exists()

    pulled = tmp_path / "pulled"
    report = pull(conn_a, root, "_E1/data", pulled)
    assert sorted(report.transferred) == sorted(_tree(local)) == sorted(report.verified)
    assert _tree(pulled) == _tree(local)
    assert pull(conn_a, root, "_E1/data", pulled).transferred == []


def test_tampered_remote_file_is_sent_again(ssh_servers, conn_a, tmp_path):
    root = ssh_servers.specs[0].remote_root
    _write_tree(tmp_path, FILES)
    push(conn_a, tmp_path, root, "t")
    victim = Path(root, "t", "configs/KR_UL_1_2.json")
    corrupted = bytearray(victim.read_bytes())
    corrupted[10] ^= 0xFF  # same size, different content
    victim.write_bytes(bytes(corrupted))
    Path(root, "t", "remote_only.txt").write_bytes(b"kept")
    report = push(conn_a, tmp_path, root, "t")
    assert report.transferred == ["configs/KR_UL_1_2.json"] and len(report.skipped) == len(FILES) - 1
    assert report.remote_only == ["remote_only.txt"] and Path(root, "t", "remote_only.txt").exists()
    assert victim.read_bytes() == FILES["configs/KR_UL_1_2.json"]


def test_pull_deletes_remote_only_after_verification(ssh_servers, conn_a, tmp_path):
    root = ssh_servers.specs[0].remote_root
    remote = Path(root, "_E1", "regressions")
    _write_tree(remote, FILES)
    report = pull(conn_a, root, "_E1/regressions", tmp_path / "out", delete_remote_after_verified=True)
    assert _tree(tmp_path / "out") == FILES
    assert sorted(report.deleted_remote) == sorted(FILES)
    assert remote.is_dir() and list(remote.iterdir()) == []  # emptied folders go, the pulled one stays


def test_pull_with_corrupted_transfer_keeps_remote_and_local(ssh_servers, conn_a, tmp_path, monkeypatch):
    root = ssh_servers.specs[0].remote_root
    remote = Path(root, "r")
    _write_tree(remote, FILES)
    out = tmp_path / "out"
    _write_tree(out, {"epoch.json": b"old local copy"})
    real_get = paramiko.SFTPClient.get

    def corrupting_get(self, remotepath, localpath, *args, **kwargs):
        real_get(self, remotepath, localpath, *args, **kwargs)
        if remotepath.endswith("epoch.json"):
            with open(localpath, "ab") as handle:
                handle.write(b"garbage")

    monkeypatch.setattr(paramiko.SFTPClient, "get", corrupting_get)
    with pytest.raises(SyncVerificationError) as failure:
        pull(conn_a, root, "r", out, delete_remote_after_verified=True)
    assert failure.value.paths == ["epoch.json"]
    assert _tree(remote) == FILES  # nothing deleted on the server
    assert Path(out, "epoch.json").read_bytes() == b"old local copy"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_push_with_corrupted_upload_leaves_no_file(ssh_servers, conn_a, tmp_path, monkeypatch):
    root = ssh_servers.specs[0].remote_root
    _write_tree(tmp_path, FILES)
    real_put = paramiko.SFTPClient.put

    def corrupting_put(self, localpath, remotepath, *args, **kwargs):
        result = real_put(self, localpath, remotepath, *args, **kwargs)
        if localpath.endswith("epoch.json"):
            with self.open(remotepath, "ab") as handle:
                handle.write(b"garbage")
        return result

    monkeypatch.setattr(paramiko.SFTPClient, "put", corrupting_put)
    with pytest.raises(SyncVerificationError) as failure:
        push(conn_a, tmp_path, root, "p")
    assert failure.value.paths == ["epoch.json"]
    remote = Path(root, "p")
    assert sorted(_tree(remote)) == sorted(set(FILES) - {"epoch.json"})  # no part file, no bad file


def test_sync_refuses_paths_outside_the_root(ssh_servers, conn_a, tmp_path):
    root = ssh_servers.specs[0].remote_root
    for subdir in ("..", "../x", "/etc", "a/../../b"):
        with pytest.raises(UnsafeRemotePathError):
            push(conn_a, tmp_path, root, subdir)
        with pytest.raises(UnsafeRemotePathError):
            pull(conn_a, root, subdir, tmp_path)
