"""Push and pull of an epoch's files; which files travel is registered by the apps that own them."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from fabric import Connection

from cluster.models import Job, Server
from cluster.remote import sync
from cluster.remote.commands import mkdir_p, remote_path
from cluster.services.server_code import Progress, push_code, staged
from cluster.services.server_sessions import _run_action
from core.errors import ApplicationError


PUSH_TARGETS = ("root", "code", "configuration", "candlesticks", "regression_training_configs", "prediction_models")


PULL_TARGETS = ("trained_regressions", "profitable_configs")


EPOCH_FILES = ("epoch.json", "epoch_settings.json")


# Folders an epoch needs on a server before its jobs run (the original's push_epoch_builder).
REMOTE_EPOCH_DIRS = (
    "regression_training_configs", "regression_batched_certificates", "regressions",
    "prediction_models/assets", "prediction_models/configs", "prediction_models/profitable_configs",
)


def _epoch_dir(epoch_id: str | None) -> Path:
    from epochs.services.paths import epoch_dir

    if not epoch_id:
        raise ApplicationError("This push or pull needs an epoch.")
    folder = epoch_dir(epoch_id)
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
        "transferred": len(report.transferred), "skipped": len(report.skipped),
        "bytes": report.bytes_transferred, "verified": len(report.verified),
        "deleted_remote": len(report.deleted_remote),
    }


def server_push(*, server: Server, what: Sequence[str], epoch_id: str | None = None, user=None,
                progress: Progress | None = None) -> dict:
    """Push the chosen targets; only changed files travel, each verified by sha256 on arrival."""
    targets = _expand(what, PUSH_TARGETS)
    needs_epoch = [t for t in targets if t not in ("root", "code")]
    folder = _epoch_dir(epoch_id) if needs_epoch else None
    summary: dict = {}

    def step(name: str) -> Progress | None:
        return (lambda d, t, m: progress(targets.index(name), len(targets), f"{name}: {m}")) if progress else None

    def work(conn: Connection, root: str) -> str:
        if folder is not None:
            mkdir_p(conn, [remote_path(root, remote_epoch_rel(epoch_id, d)) for d in REMOTE_EPOCH_DIRS])
        for name in targets:
            if name in ("root", "code"):
                report = push_code(conn, root, progress=step(name), top_level_only=name == "root")
            elif name == "configuration":
                files = {f: folder / f for f in EPOCH_FILES if (folder / f).is_file()}
                with staged(files) as stage:
                    report = sync.push(conn, stage, root, remote_epoch_rel(epoch_id), progress=step(name))
            elif name == "prediction_models":
                report = sync.SyncReport()
                for sub in ("assets", "configs"):
                    part = sync.push(conn, folder / "prediction_models" / sub, root,
                                     remote_epoch_rel(epoch_id, "prediction_models", sub), progress=step(name))
                    report.transferred += part.transferred
                    report.skipped += part.skipped
                    report.verified += part.verified
                    report.bytes_transferred += part.bytes_transferred
            else:
                report = sync.push(conn, folder / name, root, remote_epoch_rel(epoch_id, name), progress=step(name))
            _merge(summary, name, report)
        return _transfer_text("push", summary)

    _run_action(server, "push", user, work)
    if progress:
        progress(len(targets), len(targets), "pushed")
    return summary


def _transfer_text(verb: str, summary: dict) -> str:
    return "\n".join(
        f"{verb} {name}: {s['transferred']} sent/received and verified, {s['skipped']} unchanged, {s['bytes']} bytes"
        + (f", {s['deleted_remote']} removed from the server" if s["deleted_remote"] else "")
        for name, s in summary.items()
    )


def server_pull(*, server: Server, what: Sequence[str], epoch_id: str, delete_remote: bool = False, user=None,
                progress: Progress | None = None) -> dict:
    """Pull trained regressions (with batched certificates) and/or profitable configs.

    Each file is verified before it takes its final local name; with ``delete_remote`` the
    server's copies are removed only after every file was verified.
    """
    targets = _expand(what, PULL_TARGETS)
    folder = _epoch_dir(epoch_id)
    plan = {
        "trained_regressions": ("regression_batched_certificates", "regressions"),
        "profitable_configs": ("prediction_models/profitable_configs",),
    }
    summary: dict = {}

    def work(conn: Connection, root: str) -> str:
        for name in targets:
            for sub in plan[name]:
                report = sync.pull(
                    conn, root, remote_epoch_rel(epoch_id, sub), folder / sub,
                    delete_remote_after_verified=delete_remote,
                    progress=(lambda d, t, m: progress(targets.index(name), len(targets), f"{name}: {m}")) if progress else None,
                )
                _merge(summary, sub, report)
        return _transfer_text("pull", summary)

    _run_action(server, "pull", user, work)
    if progress:
        progress(len(targets), len(targets), "pulled")
    return summary


def server_push_enqueue(*, server: Server, what: Sequence[str], epoch_id: str | None = None, user=None,
                        inline: bool = False) -> Job:
    """A ``cluster.push`` job for the server (one at a time per server)."""
    from cluster.services.jobs import job_enqueue

    _expand(what, PUSH_TARGETS)
    return job_enqueue(kind="cluster.push", params={"what": list(what), "epoch": epoch_id or ""}, user=user,
                       server=server, target=server, dedup_key=f"server-{server.pk}", inline=inline)


def server_pull_enqueue(*, server: Server, what: Sequence[str], epoch_id: str, delete_remote: bool = False,
                        user=None, inline: bool = False) -> Job:
    """A ``cluster.pull`` job for the server (one at a time per server)."""
    from cluster.services.jobs import job_enqueue

    _expand(what, PULL_TARGETS)
    return job_enqueue(kind="cluster.pull", params={"what": list(what), "epoch": epoch_id, "delete_remote": delete_remote},
                       user=user, server=server, target=server, dedup_key=f"server-{server.pk}", inline=inline)
