"""The regressions API: filters, ordering, selections, and queries that do not grow with pages."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluster.models import Job
from epochs.models import CandlestickSet, Epoch
from regressions.models import Regression, RegressionConfig, TrainingBatch

pytestmark = pytest.mark.django_db


def _epoch(epoch_id="_API"):
    candle_set = CandlestickSet.objects.create(name=f"set{epoch_id.lower()}", candles=1)
    return Epoch.objects.create(id=epoch_id, candlestick_set=candle_set, status="ready", data_fingerprint="f" * 64)


def _many_regressions(epoch, count):
    batch = TrainingBatch.objects.create(
        epoch=epoch, name="KR_DNN_1_1", category="DNN", number=1, total=1, profile="t", config_file="x.json"
    )
    configs = RegressionConfig.objects.bulk_create(
        [
            RegressionConfig(
                id=f"KR_DNN_S2_{i:032x}",
                epoch=epoch,
                batch=batch,
                position=i,
                category="DNN",
                template="KR_DNN_S2",
                learning_rate=0.001,
                loss="mean_absolute_error",
                metric="mean_squared_error",
                config={"keras_model": {"name": "KR_DNN_S2", "units": [32, 32]}},
            )
            for i in range(count)
        ]
    )
    Regression.objects.bulk_create(
        [
            Regression(
                config=c,
                epoch=epoch,
                status="trained",
                accuracy=50 + (i % 40),
                points=i % 17,
                test_loss=0.01 + i / 1e6,
                increase_num=10,
                decrease_num=10 + i % 3,
                best_epoch=1 + i % 10,
                training_seconds=10.0 + i,
                ebe_points=float(i % 25 * 4),
                ebe_state=("optimal", "decent", "neutral", "warning", "error")[i % 5],
            )
            for i, c in enumerate(configs)
        ]
    )


def test_list_queries_do_not_grow_with_the_page_size(api_client):
    _many_regressions(_epoch(), 10_000)
    counts = []
    for size in (10, 1000):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(f"/api/regressions/?page_size={size}&epoch=_API")
        assert response.status_code == 200 and response.json()["count"] == 10_000
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 4
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get("/api/regression-batches/").status_code == 200
    assert len(queries) <= 4


def test_filters_and_ordering(api_client):
    _many_regressions(_epoch(), 50)
    body = api_client.get("/api/regressions/?min_accuracy=85&ordering=-accuracy,test_loss").json()
    accuracies = [r["accuracy"] for r in body["results"]]
    assert accuracies and min(accuracies) >= 85 and accuracies == sorted(accuracies, reverse=True)
    assert api_client.get("/api/regressions/?status=pending").json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "rule"),
    [
        ("min_accuracy=50&max_accuracy=70", lambda r: 50 <= r.accuracy <= 70),
        ("min_points=3&max_points=8", lambda r: 3 <= r.points <= 8),
        ("min_test_loss=0.01001&max_test_loss=0.01003", lambda r: 0.01001 <= r.test_loss <= 0.01003),
        ("min_best_epoch=3&max_best_epoch=6", lambda r: 3 <= r.best_epoch <= 6),
        ("min_training_seconds=20&max_training_seconds=40", lambda r: 20 <= r.training_seconds <= 40),
    ],
)
def test_two_sided_filters_keep_exactly_the_rows_inside(api_client, query, rule):
    _many_regressions(_epoch(), 50)
    regressions = Regression.objects.filter(epoch_id="_API")
    want = sorted(r.config_id for r in regressions if rule(r))
    got = api_client.get(f"/api/regressions/?{query}&page_size=100").json()["results"]
    assert want and len(want) < 50, "the fixture must give rows on both sides of the bounds"
    assert sorted(r["id"] for r in got) == want


def test_the_ebe_filters(api_client):
    _many_regressions(_epoch(), 50)
    regressions = list(Regression.objects.filter(epoch_id="_API"))
    middle = sorted(r.ebe_points for r in regressions)[len(regressions) // 2]
    got = api_client.get(f"/api/regressions/?min_ebe_points={middle}&page_size=100").json()["results"]
    assert got and all(r["ebe_points"] >= middle for r in got) and len(got) < 50
    state = regressions[0].ebe_state
    got = api_client.get(f"/api/regressions/?ebe_state={state}&page_size=100").json()["results"]
    assert got and {r["ebe_state"] for r in got} == {state}
    assert api_client.get("/api/regressions/?ebe_state=superb").status_code == 400


def test_selection_top_n_and_manual(api_client):
    epoch = _epoch()
    _many_regressions(epoch, 30)
    response = api_client.post(
        "/api/regression-selections/", {"epoch": "_API", "name": "best", "size": 5}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    expected = list(
        Regression.objects.filter(epoch=epoch)
        .order_by("-accuracy", "-points", "test_loss", "config_id")
        .values_list("config_id", flat=True)[:5]
    )
    assert body["regression_ids"] == expected and len(body["ranking"]) == 30
    too_many = api_client.post(
        "/api/regression-selections/", {"epoch": "_API", "name": "all", "size": 31}, format="json"
    )
    assert too_many.status_code == 400 and "Only 30" in too_many.json()["message"]
    manual = api_client.post(
        "/api/regression-selections/",
        {
            "epoch": "_API",
            "name": "hand",
            "mode": "manual",
            "regression_ids": ["KR_DNN_S2_" + "0" * 32, "KR_NOPE_" + "x" * 30],
        },
        format="json",
    )
    assert manual.status_code == 400 and "KR_NOPE_" in str(manual.json())
    bad_rank = api_client.post(
        "/api/regression-selections/",
        {"epoch": "_API", "name": "x", "criteria": {"order_by": ["id;drop"]}},
        format="json",
    )
    assert bad_rank.status_code == 400


def test_admin_actions_queue_one_job_each_or_say_why_not(admin_client):
    epoch = _epoch()
    _many_regressions(epoch, 2)
    batch = TrainingBatch.objects.get(epoch=epoch)
    with mock.patch("cluster.services.jobs._send"):
        response = admin_client.post(
            "/admin/regressions/trainingbatch/", {"action": "train", "_selected_action": [batch.pk]}, follow=True
        )
    job = Job.objects.get(kind="regressions.train_batch")
    assert f'href="/jobs/{job.pk}/"' in response.content.decode()
    # The epoch has its configs already: the refusal is shown, and nothing is queued.
    response = admin_client.post(
        "/admin/epochs/epoch/", {"action": "generate_configs", "_selected_action": ["_API"]}, follow=True
    )
    assert "has its regression configs already" in response.content.decode()
    assert not Job.objects.filter(kind="regressions.generate_configs").exists()
