"""Push and pull directory trees with checksums: only what changed moves, and every moved file
is verified before it takes its final name.

Manifests map a relative POSIX path to its sha256 and size. The remote manifest comes from
one ``python3`` command (the server needs python3 to run the engines anyway). A push writes
each file to a temporary name, hashes it on the server, and renames it only when the hash
matches; a pull does the same locally. A pull deletes remote files only when asked, only
after the local copy is verified, and only files whose remote hash still matches.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import posixpath
import secrets
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import paramiko
from fabric import Connection

from core.files import UnsafePathError, atomic_path, safe_join, sha256_file

from .commands import normalize_root, quote, remote_path, run_checked
from .errors import RemoteCommandError, SyncVerificationError, UnsafeRemotePathError

Progress = Callable[[int, int, str], None]
PART_SUFFIX = ".eb-part"

# Runs on the server as `python3 -c SCRIPT MODE ROOT`; JSON arguments arrive on stdin.
REMOTE_SCRIPT = r"""
import hashlib, json, os, sys
mode, root = sys.argv[1], sys.argv[2]
def digest(p):
    h = hashlib.sha256()
    with open(p, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
        return [h.hexdigest(), os.fstat(f.fileno()).st_size]
def inside(rel):
    if not rel or rel.startswith('/') or '..' in rel.split('/'):
        sys.exit('refused path %r' % rel)
    return os.path.join(root, rel)
def regular(p):
    return os.path.isfile(p) and not os.path.islink(p)
out = {}
if mode == 'manifest':
    for d, dirs, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            if regular(p) and not n.endswith('.eb-part'):
                out[os.path.relpath(p, root)] = digest(p)
elif mode == 'hash':
    for rel in json.load(sys.stdin):
        p = inside(rel)
        out[rel] = digest(p) if regular(p) else None
elif mode == 'delete':
    out = {'deleted': [], 'kept': []}
    emptied = set()
    for rel, sha in sorted(json.load(sys.stdin).items()):
        p = inside(rel)
        if regular(p) and digest(p)[0] == sha:
            os.remove(p)
            out['deleted'].append(rel)
            emptied.add(os.path.dirname(p))
        else:
            out['kept'].append(rel)
    for d in sorted(emptied, key=len, reverse=True):
        while d != root and d.startswith(root + '/') and os.path.isdir(d) and not os.listdir(d):
            os.rmdir(d)
            d = os.path.dirname(d)
json.dump(out, sys.stdout)
"""


class FileDigest(NamedTuple):
    sha256: str
    size: int


Manifest = dict[str, FileDigest]


@dataclass
class SyncReport:
    transferred: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bytes_transferred: int = 0
    verified: list[str] = field(default_factory=list)
    remote_only: list[str] = field(default_factory=list)
    deleted_remote: list[str] = field(default_factory=list)


def _excluded(rel: str, exclude: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(part, pattern) for part in rel.split("/") for pattern in exclude)


def local_digest(path: str | os.PathLike) -> FileDigest:
    return FileDigest(sha256_file(path), os.path.getsize(path))


def local_manifest(local_dir: str | os.PathLike, *, exclude: Iterable[str] = ()) -> Manifest:
    """sha256 and size of every regular file below ``local_dir`` (symlinks are not followed)."""
    base = Path(local_dir)
    exclude = tuple(exclude)
    manifest: Manifest = {}
    for directory, _dirs, files in os.walk(base):
        for name in files:
            path = Path(directory, name)
            rel = path.relative_to(base).as_posix()
            if path.is_symlink() or not path.is_file() or _excluded(rel, exclude):
                continue
            manifest[rel] = local_digest(path)
    return manifest


def _remote_json(conn: Connection, mode: str, base: str, payload: object = None) -> dict:
    command = f"python3 -c {quote(REMOTE_SCRIPT)} {quote(mode)} {quote(base)}"
    stdin = json.dumps(payload) if payload is not None else None
    output = run_checked(conn, command, stdin=stdin).strip()
    # The JSON is one line; take the last one in case a login script printed something first.
    if not output:
        raise RemoteCommandError(f"python3 -c <sync script> {mode} {base}", 0, "no output")
    return json.loads(output.splitlines()[-1])


def remote_manifest(conn: Connection, base: str) -> Manifest:
    """Manifest of the remote directory ``base`` (already confined); empty when it is missing."""
    return {rel: FileDigest(*entry) for rel, entry in _remote_json(conn, "manifest", base).items()}


def _sync_base(remote_root: str, subdir: str) -> str:
    return remote_path(remote_root, subdir) if subdir else normalize_root(remote_root)


def _makedirs(sftp: paramiko.SFTPClient, path: str, known: set[str]) -> None:
    """``mkdir -p`` over SFTP (no shell round trip); ``known`` caches directories seen."""
    missing = []
    probe = path
    while probe not in known and probe != "/":
        try:
            if not stat.S_ISDIR(sftp.stat(probe).st_mode or 0):
                raise NotADirectoryError(f"remote path {probe!r} exists and is not a directory")
            break
        except FileNotFoundError:
            missing.append(probe)
            probe = posixpath.dirname(probe)
    for directory in reversed(missing):
        try:
            sftp.mkdir(directory)
        except OSError:
            if not stat.S_ISDIR(sftp.stat(directory).st_mode or 0):  # lost a race to another writer?
                raise
    known.update(missing, [path])


def _remove_quietly(sftp: paramiko.SFTPClient, paths: list[str]) -> None:
    # Best effort: an error already being reported matters more than a leftover part file.
    for path in paths:
        with contextlib.suppress(OSError):
            sftp.remove(path)


def push(
    conn: Connection,
    local_dir: str | os.PathLike,
    remote_root: str,
    subdir: str = "",
    *,
    exclude: Iterable[str] = (),
    progress: Progress | None = None,
) -> SyncReport:
    """Send files of ``local_dir`` that are missing or different below ``remote_root/subdir``.

    Remote files absent locally are left alone (listed in ``remote_only``). Raises
    `SyncVerificationError` naming the files whose remote hash did not match; those keep
    their previous remote content.
    """
    base = _sync_base(remote_root, subdir)
    local = local_manifest(local_dir, exclude=exclude)
    remote = remote_manifest(conn, base)
    report = SyncReport(remote_only=sorted(set(remote) - set(local)))
    changed = []
    for rel in sorted(local):
        (report.skipped if remote.get(rel) == local[rel] else changed).append(rel)
    if not changed:
        return report
    sftp = conn.sftp()
    known_dirs: set[str] = set()
    for directory in sorted({posixpath.dirname(remote_path(base, rel)) for rel in changed}):
        _makedirs(sftp, directory, known_dirs)
    token = secrets.token_hex(6)
    parts = {rel: f"{rel}.{token}{PART_SUFFIX}" for rel in changed}
    try:
        for done, rel in enumerate(changed, 1):
            sftp.put(os.fspath(Path(local_dir, rel)), remote_path(base, parts[rel]), confirm=True)
            report.bytes_transferred += local[rel].size
            if progress:
                progress(done, len(changed), f"sent {rel}")
        hashed = _remote_json(conn, "hash", base, list(parts.values()))
    except BaseException:
        _remove_quietly(sftp, [remote_path(base, part) for part in parts.values()])
        raise
    bad = [rel for rel in changed if hashed.get(parts[rel]) != list(local[rel])]
    for rel in changed:
        if rel not in bad:
            sftp.posix_rename(remote_path(base, parts[rel]), remote_path(base, rel))
            report.transferred.append(rel)
            report.verified.append(rel)
    if bad:
        _remove_quietly(sftp, [remote_path(base, parts[rel]) for rel in bad])
        raise SyncVerificationError(
            f"sha256 mismatch on {conn.host} below {base} after upload: {', '.join(bad)}", paths=bad
        )
    return report


def pull(
    conn: Connection,
    remote_root: str,
    subdir: str,
    local_dir: str | os.PathLike,
    *,
    delete_remote_after_verified: bool = False,
    exclude: Iterable[str] = (),
    progress: Progress | None = None,
) -> SyncReport:
    """Fetch files of ``remote_root/subdir`` that are missing or different in ``local_dir``.

    Each fetched file is hashed locally before it takes its final name. With
    ``delete_remote_after_verified`` the remote files are then removed, but only when every
    file was verified, and only those whose remote hash still equals the local copy's.
    """
    base = _sync_base(remote_root, subdir)
    exclude = tuple(exclude)
    remote = {rel: d for rel, d in remote_manifest(conn, base).items() if not _excluded(rel, exclude)}
    targets = {}
    for rel in remote:
        try:
            targets[rel] = safe_join(local_dir, rel)
        except UnsafePathError as exc:
            raise UnsafeRemotePathError(f"server {conn.host} listed {rel!r} below {base}: {exc}") from exc
    report = SyncReport()
    changed = []
    for rel in sorted(remote):
        target = targets[rel]
        same = target.is_file() and local_digest(target) == remote[rel]
        (report.skipped if same else changed).append(rel)
    sftp = conn.sftp()
    bad = []
    for done, rel in enumerate(changed, 1):
        try:
            with atomic_path(targets[rel]) as tmp:
                sftp.get(remote_path(base, rel), os.fspath(tmp))
                if local_digest(tmp) != remote[rel]:
                    raise SyncVerificationError(f"sha256 mismatch on {rel}", paths=[rel])
        except SyncVerificationError:
            bad.append(rel)  # the temporary copy is gone; the previous local file is untouched
            continue
        report.transferred.append(rel)
        report.verified.append(rel)
        report.bytes_transferred += remote[rel].size
        if progress:
            progress(done, len(changed), f"received {rel}")
    if bad:
        raise SyncVerificationError(
            f"sha256 mismatch after download from {conn.host} below {base}: {', '.join(bad)}; "
            "nothing was deleted on the server",
            paths=bad,
        )
    if delete_remote_after_verified and remote:
        result = _remote_json(conn, "delete", base, {rel: d.sha256 for rel, d in remote.items()})
        report.deleted_remote = result["deleted"]
    return report
