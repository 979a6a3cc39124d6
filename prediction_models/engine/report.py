"""A backtest as a trader reads it: the trade list, long and short apart, monthly returns.

Pure functions of a certificate's ``backtest`` (IBacktestPerformance, EPOCA_CONTRACT.md §1.5):
each position's PnL is its balance after the close minus the balance before it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime

from prediction_models.engine.metrics import profit_factor

TRADE_COLUMNS = (
    "number",
    "side",
    "entry_time",
    "exit_time",
    "entry_price",
    "take_profit_price",
    "stop_loss_price",
    "exit_price",
    "outcome",
    "pnl_usdt",
    "pnl_pct",
    "balance_usdt",
    "duration_minutes",
    "feature_sum",
)


def iso(ms: int) -> str:
    """UTC ISO 8601 to the second (``2021-03-01T12:15:00Z``)."""
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def trades(backtest: dict) -> list[dict]:
    rows, previous = [], backtest["initial_balance"]
    for number, p in enumerate(backtest["positions"], start=1):
        pnl = p["b"] - previous
        rows.append(
            {
                "number": number,
                "side": "long" if p["t"] == 1 else "short",
                "entry_time": iso(p["ot"]),
                "exit_time": iso(p["ct"]),
                "entry_price": p["op"],
                "take_profit_price": p["tpp"],
                "stop_loss_price": p["slp"],
                "exit_price": p["cp"],
                "outcome": "won" if p["o"] else "lost",
                "pnl_usdt": round(pnl, 2),
                "pnl_pct": round(pnl / previous * 100, 3),
                "balance_usdt": round(p["b"], 2),
                "duration_minutes": round((p["ct"] - p["ot"] + 1) / 60_000),
                "feature_sum": round(sum(p["p"]["f"]), 6),
            }
        )
        previous = p["b"]
    return rows


def trades_csv(backtest: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=TRADE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(trades(backtest))
    return out.getvalue()


def _side(rows: list[dict]) -> dict:
    won = [r for r in rows if r["outcome"] == "won"]
    gross_win = sum(r["pnl_usdt"] for r in won)
    gross_loss = -sum(r["pnl_usdt"] for r in rows if r["outcome"] == "lost")
    return {
        "positions": len(rows),
        "won": len(won),
        "lost": len(rows) - len(won),
        "accuracy_pct": round(len(won) / len(rows) * 100, 2) if rows else None,
        "pnl_usdt": round(sum(r["pnl_usdt"] for r in rows), 2),
        "profit_factor": None if (factor := profit_factor(gross_win, gross_loss)) is None else round(factor, 3),
        "no_losses": bool(rows) and gross_loss <= 0,
        "mean_duration_minutes": round(sum(r["duration_minutes"] for r in rows) / len(rows)) if rows else None,
    }


def sides(backtest: dict) -> dict:
    """Long, short and all positions, each with its own counts, accuracy, PnL and profit factor."""
    rows = trades(backtest)
    return {
        "long": _side([r for r in rows if r["side"] == "long"]),
        "short": _side([r for r in rows if r["side"] == "short"]),
        "all": _side(rows),
    }


def monthly_returns(backtest: dict) -> list[dict]:
    """Each UTC month with a closed position: its PnL and its return on the balance it started with."""
    months: dict[str, dict] = {}
    balance = backtest["initial_balance"]
    for row in trades(backtest):
        month = row["exit_time"][:7]
        entry = months.setdefault(month, {"month": month, "start_balance": balance, "pnl_usdt": 0.0, "positions": 0})
        entry["pnl_usdt"] += row["pnl_usdt"]
        entry["positions"] += 1
        balance = row["balance_usdt"]
    return [
        {**m, "pnl_usdt": round(m["pnl_usdt"], 2), "return_pct": round(m["pnl_usdt"] / m["start_balance"] * 100, 3)}
        for m in months.values()
    ]


def positions_fingerprint(backtest: dict) -> str:
    """Equal for two backtests whose positions open and close at the same minutes on the same sides."""
    key = ";".join(f"{p['ot']},{p['ct']},{p['t']}" for p in backtest["positions"])
    return hashlib.sha256(key.encode()).hexdigest()
