"""List pages under load: p50 and p95 response times with 1,220 regressions and 10,000 profitable configs.

A fresh SQLite database in a temporary folder holds the `original` grid (1,220 configs and the
unit test) with made-up results, a selection, a search with 10,000 profitable configs and 50
built models, and the grid's training jobs (a parent per training batch, a child per regression:
about 1,300 jobs, a few failed, one batch still running); each list page and API list is requested ``--repeat`` times by a logged-in
client, in one run, side by side.

    .venv/bin/python benchmarks/pages.py [--repeat 30]

Prints a table and one JSON object as its last line; the goal is p95 under 500 ms. The first row, a static page, measures the machine itself (its load), so the last column compares each page with it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
GOAL_MS = 500


def _seed(epoch_id: str) -> dict:
    import numpy as np

    from epochs.engine.layout import model_certificate_file
    from prediction_models.models import PredictionModel, PredictionModelSearch, ProfitableConfig
    from regressions.models import Regression, RegressionSelection
    from testing.regression_fakes import fake_grid_epoch

    epoch = fake_grid_epoch(epoch_id)
    chosen = list(
        Regression.objects.filter(epoch=epoch, status="trained")
        .order_by("-ebe_points")
        .values_list("config_id", flat=True)[:16]
    )
    selection = RegressionSelection.objects.create(
        epoch=epoch, name="top", mode="manual", size=16, regression_ids=chosen
    )
    search = PredictionModelSearch.objects.create(
        epoch=epoch,
        selection=selection,
        status="built",
        regression_ids=chosen,
        regressions_per_model=[4],
        total_configs=10_000_000,
        profitable_found=10_000,
    )
    rng = np.random.default_rng(3)
    configs = ProfitableConfig.objects.bulk_create(
        [
            ProfitableConfig(
                search=search,
                config_index=i,
                regression_ids=chosen[i % 12 : i % 12 + 4],
                price_change_requirement=float(rng.choice([2.5, 3, 3.5, 4])),
                min_sum_function="mean",
                min_sum_adjustment_factor=float(rng.choice([1, 1.5, 2])),
                profit=float(rng.uniform(0, 5000)),
                accuracy=float(rng.uniform(55, 80)),
                positions=int(rng.integers(5, 200)),
                largest_drawdown=float(rng.uniform(0, 20)),
                final_balance=float(rng.uniform(10000, 15000)),
            )
            for i in range(10_000)
        ],
        batch_size=1000,
    )
    PredictionModel.objects.bulk_create(
        [
            PredictionModel(
                id=f"{epoch_id}_{i:032x}",
                search=search,
                profitable_config=c,
                rank=i + 1,
                certificate_file=model_certificate_file(f"{epoch_id}_{i:032x}"),
                profit=c.profit,
                accuracy=c.accuracy,
                positions=c.positions,
                largest_drawdown=c.largest_drawdown,
                ebe_points=float(rng.uniform(10, 90)),
                ebe_state="neutral",
            )
            for i, c in enumerate(configs[:50])
        ]
    )
    jobs = _seed_jobs(epoch)
    return {"search": search.pk, "compare": ",".join(chosen[:6]), "jobs": jobs}


def _seed_jobs(epoch) -> int:
    """The grid's training jobs as a real run leaves them: a parent per batch, a child per regression."""
    from datetime import timedelta

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from cluster.models import Job
    from regressions.models import Regression, TrainingBatch

    batch_type = ContentType.objects.get_for_model(TrainingBatch)
    regression_type = ContentType.objects.get_for_model(Regression)
    batches = list(TrainingBatch.objects.filter(epoch=epoch).order_by("category", "number"))
    parents = Job.objects.bulk_create(
        [
            Job(
                kind="regressions.train_batch",
                status="running" if n == len(batches) - 1 else "succeeded",
                target_type=batch_type,
                target_id=str(batch.pk),
                target_label=f"{epoch.id} {batch.name}",
                attempts=1,
            )
            for n, batch in enumerate(batches)
        ]
    )
    parent_of = {batch.pk: parent for batch, parent in zip(batches, parents, strict=True)}
    regressions = Regression.objects.filter(epoch=epoch).select_related("config").order_by("config__position")
    children = [
        Job(
            kind="regressions.train",
            status="failed" if n % 97 == 0 else "succeeded",
            parent=parent_of[regression.config.batch_id],
            target_type=regression_type,
            target_id=str(regression.pk),
            target_label=f"{epoch.id} {regression.config_id}",
            attempts=1,
            progress_done=500,
            progress_total=500,
            error="Training diverged (loss is NaN)." if n % 97 == 0 else "",
        )
        for n, regression in enumerate(regressions)
    ]
    Job.objects.bulk_create(children, batch_size=500)
    now = timezone.now()
    Job.objects.filter(status__in=("succeeded", "failed")).update(
        started=now - timedelta(hours=30), finished=now - timedelta(hours=2), heartbeat_at=now - timedelta(hours=2)
    )
    Job.objects.filter(status="running").update(started=now - timedelta(hours=1), heartbeat_at=now)
    return Job.objects.count()


def _time(client, url: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="eb-bench-pages-")
    os.environ.update(
        EPOCA_VAR_DIR=var,
        DJANGO_SETTINGS_MODULE="epoca_builder.settings",
        DEBUG="false",
        DATABASE_URL=f"sqlite:///{var}/bench.sqlite3",
        EPOCHS_ROOT=f"{var}/epochs",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client may use "testserver" as its host
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    ids = _seed("_BENCHPAGES")
    client = Client()
    from accounts.roles import role_assign

    client.force_login(role_assign(get_user_model().objects.create_user("bench"), "viewer"))
    pages = {
        "glossary (static: this machine's baseline)": "/glossary/",
        "leaderboard (default: EBE points)": "/regressions/leaderboard/?epoch=_BENCHPAGES",
        "leaderboard sorted by test loss, 200 rows": "/regressions/leaderboard/?epoch=_BENCHPAGES&sort=test_loss&size=200",
        "leaderboard filtered (LSTM, lr -1)": "/regressions/leaderboard/?category=LSTM&learning_rate=-1",
        "leaderboard last page": "/regressions/leaderboard/?page=25",
        "regressions (batches)": "/regressions/?epoch=_BENCHPAGES",
        "prediction models (searches)": "/prediction-models/?epoch=_BENCHPAGES",
        "search with 10,000 profitable configs": f"/prediction-models/searches/{ids['search']}/",
        "prediction models (every built model)": "/prediction-models/models/?epoch=_BENCHPAGES",
        "regressions grid analysis": "/regressions/analysis/?epoch=_BENCHPAGES",
        "regressions compared (6)": f"/regressions/compare/?ids={ids['compare']}",
        f"jobs ({ids['jobs']:,} jobs)": "/jobs/",
        "epochs": "/epochs/",
        "API regressions, 100 a page": "/api/regressions/?epoch=_BENCHPAGES&page_size=100&ordering=-ebe_points",
        "API profitable configs, 100 a page": f"/api/profitable-configs/?search={ids['search']}&page_size=100",
        "API prediction models": "/api/prediction-models/?page_size=50&ordering=-ebe_points",
        "API jobs, 100 a page": "/api/jobs/?page_size=100",
        "API training batches, 100 a page": "/api/training-batches/?epoch=_BENCHPAGES&page_size=100",
    }
    for url in pages.values():  # warm: templates, plotly figures' imports
        _time(client, url, 1)
    results = {}
    print(f"{'page':45} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p50 / baseline':>15}")
    baseline = None
    for name, url in pages.items():
        times = sorted(_time(client, url, args.repeat))
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        baseline = baseline or p50
        results[name] = {
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(times[-1], 1),
            "p50_vs_baseline": round(p50 / baseline, 1),
        }
        print(f"{name:45} {p50:8.1f} {p95:8.1f} {times[-1]:8.1f} {p50 / baseline:14.1f}x")
    worst = max(r["p95_ms"] for r in results.values())
    load = os.getloadavg()[0]
    print(
        f"worst p95 {worst:.1f} ms (goal {GOAL_MS} ms): {'met' if worst < GOAL_MS else 'NOT met'}; 1-minute load {load:.2f}"
    )
    print(
        json.dumps(
            {
                "repeat": args.repeat,
                "worst_p95_ms": worst,
                "goal_ms": GOAL_MS,
                "load_1m": round(load, 2),
                "pages": results,
            }
        )
    )


if __name__ == "__main__":
    main()
