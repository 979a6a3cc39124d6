"""Push and pull of an epoch's files; which files travel is registered by the apps that own them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fabric import Connection

from cluster.models import Job, Server
from cluster.remote import sync
from cluster.remote.commands import mkdir_p, remote_path
from cluster.services.jobs import job_enqueue
from cluster.services.server_code import Progress, push_code, staged
from cluster.services.server_sessions import _run_action
from core.errors import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CODE_TARGETS = ("root", "code")


@dataclass(frozen=True)
class EpochTransfer:
    """What one push or pull target moves, relative to the epoch's folder (and the same path
    below ``<remote root>/epochs/<id>/`` on the server)."""

    name: str
    folders: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # single files at the folder's top


# Filled by the apps that own the files, from their AppConfig.ready(), in INSTALLED_APPS order.
_PUSH: dict[str, EpochTransfer] = {}
_PULL: dict[str, EpochTransfer] = {}
_REMOTE_DIRS: list[str] = []  # folders an epoch needs on a server before its jobs run
_EPOCH_FOLDER: list[Callable[[str], Path]] = []


def epoch_folder_register(resolve: Callable[[str], Path]) -> None:
    """How to find an epoch's local folder from its id (the epochs app's layout)."""
    _EPOCH_FOLDER[:] = [resolve]


def push_target_register(name: str, *, folders: Sequence[str] = (), files: Sequence[str] = ()) -> None:
    _PUSH[name] = EpochTransfer(name=name, folders=tuple(folders), files=tuple(files))


def pull_target_register(name: str, *, folders: Sequence[str]) -> None:
    _PULL[name] = EpochTransfer(name=name, folders=tuple(folders))


def remote_epoch_dirs_register(*folders: str) -> None:
    _REMOTE_DIRS.extend(f for f in folders if f not in _REMOTE_DIRS)


def push_targets() -> tuple[str, ...]:
    return (*CODE_TARGETS, *_PUSH)


def pull_targets() -> tuple[str, ...]:
    return tuple(_PULL)


def _epoch_dir(epoch_id: str | None) -> Path:
    if not epoch_id:
        raise ApplicationError("This push or pull needs an epoch.")
    if not _EPOCH_FOLDER:
        raise ApplicationError("No app registered where epochs live (epoch_folder_register).")
    folder = _EPOCH_FOLDER[0](epoch_id)
    if not folder.is_dir():
        raise ApplicationError(f"Epoch {epoch_id} has no folder on this machine.")
    return folder


def remote_epoch_rel(epoch_id: str, *parts: str) -> str:
    return "/".join(("epochs", epoch_id, *parts))


def _expand(what: Sequence[str], allowed: Sequence[str]) -> list[str]:
    chosen = list(allowed) if "everything" in what or "all" in what else list(dict.fromkeys(what))
    unknown = [w for w in chosen if w not in allowed]
    if unknown or not chosen:
        raise ApplicationError(f"unknown target(s) {unknown or what}; choose from {', '.join(allowed)} or everything")
    return chosen


def _merge(total: dict, name: str, report: sync.SyncReport) -> None:
    total[name] = {
        "transferred": len(report.transferred),
        "skipped": len(report.skipped),
        "bytes": report.bytes_transferred,
        "verified": len(report.verified),
        "deleted_remote": len(report.deleted_remote),
    }


def server_push(
    *,
    server: Server,
    what: Sequence[str],
    epoch_id: str | None = None,
    user: User | None = None,
    progress: Progress | None = None,
) -> dict:
    """Push the chosen targets; only changed files travel, each verified by sha256 on arrival."""
    targets = _expand(what, push_targets())
    needs_epoch = [t for t in targets if t not in CODE_TARGETS]
    folder = _epoch_dir(epoch_id) if needs_epoch else None
    summary: dict = {}

    def step(name: str) -> Progress | None:
        return (lambda d, t, m: progress(targets.index(name), len(targets), f"{name}: {m}")) if progress else None

    def work(conn: Connection, root: str) -> str:
        if folder is not None:
            assert epoch_id  # _epoch_dir gave the folder of this epoch
            mkdir_p(conn, [remote_path(root, remote_epoch_rel(epoch_id, d)) for d in _REMOTE_DIRS])
        for name in targets:
            if name in CODE_TARGETS:
                report = push_code(conn, root, progress=step(name), top_level_only=name == "root")
            else:
                assert folder is not None and epoch_id  # an epoch target: needs_epoch had _epoch_dir find it
                report = _push_epoch_target(conn, root, _PUSH[name], folder, epoch_id, step(name))
            _merge(summary, name, report)
        return _transfer_text("push", summary)

    _run_action(server, "push", user, work)
    if progress:
        progress(len(targets), len(targets), "pushed")
    return summary


def _push_epoch_target(
    conn: Connection, root: str, target: EpochTransfer, folder: Path, epoch_id: str, progress: Progress | None
) -> sync.SyncReport:
    if target.files:
        files = {f: folder / f for f in target.files if (folder / f).is_file()}
        with staged(files) as stage:
            return sync.push(conn, stage, root, remote_epoch_rel(epoch_id), progress=progress)
    if len(target.folders) == 1:
        sub = target.folders[0]
        return sync.push(conn, folder / sub, root, remote_epoch_rel(epoch_id, sub), progress=progress)
    report = sync.SyncReport()
    for sub in target.folders:
        part = sync.push(conn, folder / sub, root, remote_epoch_rel(epoch_id, sub), progress=progress)
        report.transferred += part.transferred
        report.skipped += part.skipped
        report.verified += part.verified
        report.bytes_transferred += part.bytes_transferred
    return report


def _transfer_text(verb: str, summary: dict) -> str:
    return "\n".join(
        f"{verb} {name}: {s['transferred']} sent/received and verified, {s['skipped']} unchanged, {s['bytes']} bytes"
        + (f", {s['deleted_remote']} removed from the server" if s["deleted_remote"] else "")
        for name, s in summary.items()
    )


def server_pull(
    *,
    server: Server,
    what: Sequence[str],
    epoch_id: str,
    delete_remote: bool = False,
    user: User | None = None,
    progress: Progress | None = None,
) -> dict:
    """Pull the chosen targets (registered by the apps that own them: pull_target_register).

    Each file is verified before it takes its final local name; with ``delete_remote`` the
    server's copies are removed only after every file was verified.
    """
    targets = _expand(what, pull_targets())
    folder = _epoch_dir(epoch_id)
    summary: dict = {}

    def step(name: str) -> Progress | None:
        return (lambda d, t, m: progress(targets.index(name), len(targets), f"{name}: {m}")) if progress else None

    def work(conn: Connection, root: str) -> str:
        for name in targets:
            for sub in _PULL[name].folders:
                report = sync.pull(
                    conn,
                    root,
                    remote_epoch_rel(epoch_id, sub),
                    folder / sub,
                    delete_remote_after_verified=delete_remote,
                    progress=step(name),
                )
                _merge(summary, sub, report)
        return _transfer_text("pull", summary)

    _run_action(server, "pull", user, work)
    if progress:
        progress(len(targets), len(targets), "pulled")
    return summary


def server_push_enqueue(
    *, server: Server, what: Sequence[str], epoch_id: str | None = None, user: User | None = None, inline: bool = False
) -> Job:
    """A ``cluster.push`` job for the server (one at a time per server)."""
    _expand(what, push_targets())
    return job_enqueue(
        kind="cluster.push",
        params={"what": list(what), "epoch": epoch_id or ""},
        user=user,
        server=server,
        target=server,
        dedup_key=f"server-{server.pk}",
        inline=inline,
    )


def server_pull_enqueue(
    *,
    server: Server,
    what: Sequence[str],
    epoch_id: str,
    delete_remote: bool = False,
    user: User | None = None,
    inline: bool = False,
) -> Job:
    """A ``cluster.pull`` job for the server (one at a time per server)."""
    _expand(what, pull_targets())
    return job_enqueue(
        kind="cluster.pull",
        params={"what": list(what), "epoch": epoch_id, "delete_remote": delete_remote},
        user=user,
        server=server,
        target=server,
        dedup_key=f"server-{server.pk}",
        inline=inline,
    )
