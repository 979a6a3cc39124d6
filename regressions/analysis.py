"""Grid-wide analysis rows: one flat record of hyper-parameters and results per trained regression."""

from __future__ import annotations

import json

from django.core.cache import cache
from django.db.models import Count, Max

from regressions.engine.importance import importances
from regressions.leaderboard import leaderboard_queryset

FEATURES = ("network", "depth", "capacity", "learning_rate", "loss", "activation")
TARGETS = {
    "accuracy": "Discovery accuracy (%)",
    "ebe_points": "EBE points",
    "test_loss": "Test loss",
    "points": "Discovery points",
}


def analysis_rows(*, epoch_id: str | None) -> list[dict]:
    qs = leaderboard_queryset().filter(status="trained")
    if epoch_id:
        qs = qs.filter(epoch_id=epoch_id)
    rows = []
    for r in qs.values(
        "config_id",
        "config__template",
        "config__learning_rate",
        "config__loss",
        "units",
        "filters",
        "activations",
        "epochs_trained",
        "accuracy",
        "ebe_points",
        "test_loss",
        "points",
    ):
        template = r["config__template"]
        network, _, depth = template[3:].rpartition("_")
        sizes = json.loads(r["units"] or "null") or json.loads(r["filters"] or "null") or []
        activations = json.loads(r["activations"] or "null") or []
        rows.append(
            {
                "id": r["config_id"],
                "network": network or template[3:],
                "depth": int(depth[1:]) if depth[1:].isdigit() else 0,
                "capacity": sum(sizes),
                "learning_rate": r["config__learning_rate"],
                "loss": r["config__loss"],
                "activation": activations[0] if activations else "—",
                "epochs": r["epochs_trained"] or 0,
                **{k: r[k] for k in TARGETS},
            }
        )
    return rows


def cached_importances(*, epoch_id: str | None, target: str, rows: list[dict]) -> list[dict]:
    """The forest is refitted only when the trained set changes (count or latest training)."""
    qs = leaderboard_queryset().filter(status="trained")
    if epoch_id:
        qs = qs.filter(epoch_id=epoch_id)
    state = qs.aggregate(n=Count("config_id"), last=Max("trained_at"))
    last = state["last"].timestamp() if state["last"] else 0
    key = f"importances:{epoch_id}:{target}:{state['n']}:{last:.6f}"
    result = cache.get(key)
    if result is None:
        result = importances(rows, FEATURES, target)
        cache.set(key, result, 3600)
    return result
