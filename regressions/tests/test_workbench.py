"""The leaderboard, the compare page, EBE in the API and bulk certificates, on the original grid with made-up results."""

import shutil

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluster.choices import JobStatus
from cluster.models import Job
from cluster.services.jobs import job_enqueue
from epochs.services.paths import epoch_layout
from regressions.engine.ebe import regression_evaluation
from regressions.engine.training import partial_history, write_partial_history
from regressions.models import Regression
from regressions.services.files import regression_certificate
from regressions.workbench import config_diff
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def grid_epoch(django_db_setup, django_db_blocker):
    """Made once for the module (committed); each test's own writes roll back."""
    with django_db_blocker.unblock():
        epoch = fake_grid_epoch("_WBTEST")
    yield epoch
    with django_db_blocker.unblock():
        candles = epoch.candlestick_set
        epoch.delete()
        candles.delete()


@pytest.fixture
def logged_in(client, make_user):
    client.force_login(make_user("viewer", "board-reader"))
    return client


def _ids(response):
    return [row.config_id for row in response.context["rows"]]


def test_the_leaderboard_sorts_the_whole_grid_on_the_server(logged_in, grid_epoch):
    response = logged_in.get("/regressions/leaderboard/?epoch=_WBTEST&sort=-ebe_points&size=25")
    assert response.status_code == 200
    assert response.context["total"] == 1221  # and the unit test
    best = list(
        Regression.objects.filter(epoch=grid_epoch)
        .exclude(ebe_points=None)
        .order_by("-ebe_points", "config_id")
        .values_list("config_id", flat=True)[:25]
    )
    assert _ids(response) == best
    ascending = logged_in.get("/regressions/leaderboard/?epoch=_WBTEST&sort=test_loss&size=25&page=2")
    losses = [r.test_loss for r in ascending.context["rows"]]
    assert losses == sorted(losses) and ascending.context["page"].number == 2
    # The untrained rows (no loss) come last whichever way it sorts.
    last = logged_in.get("/regressions/leaderboard/?epoch=_WBTEST&sort=-test_loss&size=25&page=49")
    assert [r.status for r in last.context["rows"]][-5:] == ["pending"] * 5


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("category=LSTM", lambda r: r.config.category == "LSTM"),
        ("learning_rate=-1", lambda r: r.config.learning_rate == -1),
        ("units=128,64", lambda r: r.config.config["keras_model"]["units"] == [128, 64]),
        ("depth=_S4", lambda r: r.config.template.endswith("_S4")),
        ("status=pending", lambda r: r.status == "pending"),
        ("min_accuracy=60", lambda r: r.accuracy >= 60),
        ("min_accuracy=50&max_accuracy=60", lambda r: 50 <= r.accuracy <= 60),
        ("max_accuracy=45", lambda r: r.accuracy <= 45),
        ("min_points=0&max_points=10", lambda r: 0 <= r.points <= 10),
        ("min_test_loss=0.001&max_test_loss=0.003", lambda r: 0.001 <= r.test_loss <= 0.003),
        ("min_best_epoch=3&max_best_epoch=8", lambda r: 3 <= r.best_epoch <= 8),
        ("min_seconds=20&max_seconds=60", lambda r: 20 <= r.training_seconds <= 60),
        ("min_ebe_points=10&max_ebe_points=30", lambda r: 10 <= r.ebe_points <= 30),
        ("ebe_state=warning", lambda r: r.ebe_state == "warning"),
        ("metric=mean_squared_error", lambda r: r.config.metric == "mean_squared_error"),
        ("loss=mean_absolute_error", lambda r: r.config.loss == "mean_absolute_error"),
    ],
)
def test_the_leaderboard_filters_by_results_and_hyper_parameters(logged_in, grid_epoch, query, check):
    response = logged_in.get(f"/regressions/leaderboard/?epoch=_WBTEST&{query}&size=200")
    assert not response.context["filterset"].errors, query
    rows = response.context["rows"]
    assert rows and all(check(r) for r in rows), query
    assert response.context["total"] < 1221  # some row was left out


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("filters", "filters"),
        ("kernel_sizes", "kernel_sizes"),
        ("pool_sizes", "pool_sizes"),
        ("activations", "activations"),
        ("units", "units"),
    ],
)
def test_the_leaderboard_filters_by_each_layer_list(logged_in, grid_epoch, name, key):
    """Any value the grid holds matches exactly the configs with that list, and leaves the others out."""
    values = [
        r.config.config["keras_model"].get(key)
        for r in Regression.objects.filter(epoch=grid_epoch).select_related("config")
    ]
    value = next(v for v in values if v)
    response = logged_in.get(f"/regressions/leaderboard/?epoch=_WBTEST&{name}={','.join(map(str, value))}&size=200")
    rows = response.context["rows"]
    assert rows and all(r.config.config["keras_model"].get(key) == value for r in rows)
    assert response.context["total"] == values.count(value) < len(values)


def test_the_leaderboard_filters_by_optimizer(logged_in, grid_epoch):
    """The grid trains with Adam only: the filter keeps its configs and leaves out every other optimizer."""
    response = logged_in.get("/regressions/leaderboard/?epoch=_WBTEST&optimizer=adam&size=200")
    rows = response.context["rows"]
    assert rows and all(r.config.config.get("optimizer") == "adam" for r in rows)
    assert logged_in.get("/regressions/leaderboard/?epoch=_WBTEST&optimizer=sgd").context["total"] == 0


def test_an_ebe_state_outside_the_five_is_refused(logged_in, grid_epoch):
    response = logged_in.get("/regressions/leaderboard/?epoch=_WBTEST&ebe_state=great")
    assert response.context["total"] == 0 and "ebe_state" in response.context["filterset"].errors


def test_the_leaderboard_badges_each_columns_best_and_worst_of_the_filtered_set(logged_in, grid_epoch):
    matching = Regression.objects.filter(epoch=grid_epoch, config__category="LSTM").exclude(ebe_points=None)
    best = matching.order_by("-ebe_points").first()
    worst_loss = matching.order_by("-test_loss").first()
    for sort, regression, field, badge in (
        ("-ebe_points", best, "ebe_points", "Best"),
        ("-test_loss", worst_loss, "test_loss", "Worst"),
    ):
        response = logged_in.get(f"/regressions/leaderboard/?epoch=_WBTEST&category=LSTM&sort={sort}&size=25")
        first = response.context["display"][0]
        assert first["id"] == regression.config_id
        cells = {"ebe_points": first["ebe_badge"], **{f: b for f, _, b in first["tail"]}}
        assert cells[field] == badge.lower()
        html = response.content.decode()
        assert f'<span class="badge {badge.lower()}"' in html
    # Exactly one row holds each column's best value here (made-up floats do not tie).
    display = logged_in.get("/regressions/leaderboard/?epoch=_WBTEST&category=LSTM&size=200").context["display"]
    assert sum(r["ebe_badge"] == "best" for r in display) == 1


def test_a_bad_filter_is_named_and_shows_nothing(logged_in, grid_epoch):
    response = logged_in.get("/regressions/leaderboard/?min_accuracy=lots")
    assert response.status_code == 200 and response.context["total"] == 0
    assert "min_accuracy" in response.context["filterset"].errors


def test_leaderboard_queries_do_not_grow_with_the_page_size(logged_in, grid_epoch):
    counts = []
    for size in (25, 200):
        with CaptureQueriesContext(connection) as queries:
            assert logged_in.get(f"/regressions/leaderboard/?epoch=_WBTEST&size={size}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_compare_shows_curves_discovery_ebe_and_the_config_diff(logged_in, grid_epoch):
    ids = list(Regression.objects.filter(epoch=grid_epoch, status="trained").values_list("config_id", flat=True)[:3])
    response = logged_in.get(f"/regressions/compare/?ids={','.join(ids)}")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["id"] for r in rows] == ids
    assert {r["ebe"]["points"] for r in rows} == set(
        Regression.objects.filter(config_id__in=ids).values_list("ebe_points", flat=True)
    )
    figures = response.context["figures"]
    assert len(figures["loss"]["data"]) == 6  # loss and val_loss of each
    assert any(d["differs"] for d in response.context["diff"])
    assert logged_in.get("/regressions/compare/?ids=KR_NOPE_0").status_code == 404


def test_config_diff_puts_differences_first():
    diff = config_diff(
        [{"loss": "mae", "keras_model": {"units": [1, 2]}}, {"loss": "mae", "keras_model": {"units": [1, 3]}}]
    )
    assert diff[0] == {"key": "keras_model.units", "values": ["1, 2", "1, 3"], "differs": True}
    assert diff[1]["differs"] is False


def test_the_api_gives_ebe_points_state_and_urls_and_sorts_by_them(api_client, grid_epoch):
    response = api_client.get("/api/regressions/?epoch=_WBTEST&ordering=-ebe_points&page_size=5")
    assert response.status_code == 200
    first = response.json()["results"][0]
    top = Regression.objects.filter(epoch=grid_epoch).exclude(ebe_points=None).order_by("-ebe_points").first()
    assert (
        first["id"] == top.config_id and first["ebe_points"] == top.ebe_points and first["ebe_state"] == top.ebe_state
    )
    ebe = api_client.get(first["ebe_url"]).json()
    assert ebe == regression_evaluation(regression_certificate(top))
    assert api_client.get(first["certificate_url"]).json()["id"] == top.config_id


def test_bulk_certificates_in_one_call_with_a_fixed_number_of_queries(api_client, grid_epoch):
    counts = []
    for limit in (2, 40):
        ids = list(
            Regression.objects.filter(epoch=grid_epoch, status="trained")
            .order_by("-config_id")
            .values_list("config_id", flat=True)[:limit]
        )
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(f"/api/regressions/certificates/?ids={','.join(ids)}")
        assert response.status_code == 200
        assert [c["id"] for c in response.json()] == ids  # in the order asked
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    everything = api_client.get("/api/regressions/certificates/?epoch=_WBTEST").json()
    assert len(everything) == 1221 - 5  # the trained ones
    assert api_client.get("/api/regressions/certificates/").status_code == 400
    assert api_client.get("/api/regressions/certificates/?selection=x").status_code == 400


def test_a_selection_can_rank_by_ebe_points(api_client, grid_epoch):
    response = api_client.post(
        "/api/regression-selections/",
        {"epoch": "_WBTEST", "name": "by-ebe", "size": 4, "criteria": {"order_by": ["-ebe_points"]}},
        format="json",
    )
    assert response.status_code == 201, response.content
    expected = list(
        Regression.objects.filter(epoch=grid_epoch, status="trained", increase_num__gte=1, decrease_num__gte=1)
        .order_by("-ebe_points", "config_id")
        .values_list("config_id", flat=True)[:4]
    )
    assert response.json()["regression_ids"] == expected
    assert response.json()["ranking"][0]["ebe_points"] is not None
    selected = api_client.get(f"/api/regressions/certificates/?selection={response.json()['id']}").json()
    assert [c["id"] for c in selected] == expected


def test_grid_analysis_over_the_whole_grid(logged_in, grid_epoch):
    response = logged_in.get("/regressions/analysis/?epoch=_WBTEST&target=ebe_points")
    assert response.status_code == 200 and response.context["count"] == 1216
    figures = response.context["figures"]
    assert len(figures["parallel"]["data"][0]["dimensions"][0]["values"]) == 1216
    features = {r["feature"] for r in response.context["ranked"]}
    assert features == {"network", "depth", "capacity", "learning_rate", "loss", "activation"}
    assert {"box_network", "box_learning_rate", "importance"} <= set(figures)


def test_hyper_parameter_counts_add_up_to_the_filtered_set(logged_in, grid_epoch):
    response = logged_in.get("/regressions/leaderboard/?epoch=_WBTEST&category=CNN")
    figures = response.context["figures"]
    total = response.context["total"]
    for name in ("networks", "series", "learning_rates", "losses", "capacity", "optimizers"):
        assert sum(figures[name]["data"][0]["y"]) == total, name


def test_the_regression_page_shows_its_ebe_breakdown(logged_in, grid_epoch):
    regression = Regression.objects.filter(epoch=grid_epoch, status="trained").order_by("-ebe_points").first()
    response = logged_in.get(f"/regressions/r/{regression.config_id}/")
    assert response.status_code == 200
    assert response.context["ebe"]["points"] == regression.ebe_points
    assert 'id="ebe"' in response.content.decode() and "Mean absolute error" in response.content.decode()


def test_the_regression_page_has_the_certificate_tabs(logged_in, grid_epoch):
    regression = Regression.objects.filter(epoch=grid_epoch, status="trained").order_by("config_id").first()
    cert = regression_certificate(regression)
    response = logged_in.get(f"/regressions/r/{regression.config_id}/")
    html = response.content.decode()
    for tab in ("summary", "training", "discovery", "epochs"):
        assert f'data-tab-panel="{tab}"' in html
    summary = dict(response.context["summary"])
    assert summary["Training start"] == "2021-01-01T00:00:00Z"  # START of the made-up certificates
    assert summary["Discovery accuracy"] == f"{cert['discovery']['accuracy']:.2f} %"
    dataset = dict(response.context["dataset"])
    assert dataset["Total"] == f"{cert['train_size'] + cert['test_size']:,} windows"
    assert dataset["To"] == "2021-04-01T00:00:00Z"
    hyper = dict(response.context["hyperparameters"])
    assert hyper["Units"] == ", ".join(map(str, cert["keras_model_config"]["units"]))
    assert "{'" not in html  # no Python reprs
    epochs = response.context["epochs"]
    assert len(epochs["rows"]) == len(cert["training_history"]["loss"])
    assert [r["epoch"] for r in epochs["rows"] if r["best"]] == [cert["best_epoch"]]
    figures = response.context["figures"]
    for name in ("loss", "metric", "accuracy", "points", "histogram", "predictions_pie", "outcomes_pie"):
        assert figures[name]["data"], name
        if name.endswith("_pie"):
            continue
        layout = figures[name]["layout"]
        assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"], name
    rows = response.context["ebe_rows"]
    item = next(r for r in rows if r.get("name") == "Accuracy" and not r.get("total"))
    assert item["shown"] == f"{cert['discovery']['accuracy']:.2f} %"


def _start_training(regression, epochs):
    """The regression as a local training leaves it after ``epochs`` finished epochs."""
    Regression.objects.filter(pk=regression.pk).update(status="training")
    history = {"loss": [0.02 / (i + 1) for i in range(epochs)], "val_loss": [0.03 / (i + 1) for i in range(epochs)]}
    folder = epoch_layout(regression.epoch_id).checkpoint_dir(regression.config_id)
    write_partial_history(folder, partial_history(history, max_epochs=30, best_epoch=epochs))
    return history, folder


def test_the_history_endpoint_serves_a_training_regressions_finished_epochs(api_client, grid_epoch):
    trained = Regression.objects.filter(epoch=grid_epoch, status="trained").order_by("config_id").first()
    done = api_client.get(f"/api/regressions/{trained.config_id}/history/").json()
    cert = regression_certificate(trained)
    assert done["live"] is False and done["history"] == cert["training_history"]
    assert done["epochs"] == len(cert["training_history"]["loss"]) and done["best_epoch"] == cert["best_epoch"]

    pending = Regression.objects.filter(epoch=grid_epoch, status="pending").order_by("config_id").first()
    Regression.objects.filter(pk=pending.pk).update(status="training")
    nothing_yet = api_client.get(f"/api/regressions/{pending.config_id}/history/").json()
    assert nothing_yet["live"] is True and nothing_yet["epochs"] == 0 and nothing_yet["history"] == {}

    history, folder = _start_training(pending, 3)
    try:
        live = api_client.get(f"/api/regressions/{pending.config_id}/history/").json()
        assert live["live"] is True and live["epochs"] == 3 and live["max_epochs"] == 30
        assert live["history"] == history
    finally:
        shutil.rmtree(folder)


def test_a_training_regression_shows_its_live_curve_on_its_page_and_its_batchs(logged_in, grid_epoch):
    regression = Regression.objects.filter(epoch=grid_epoch, status="pending").select_related("config").first()
    history, folder = _start_training(regression, 4)
    try:
        for url in (f"/regressions/r/{regression.config_id}/", f"/regressions/batches/{regression.config.batch_id}/"):
            response = logged_in.get(url)
            html = response.content.decode()
            assert f'data-live-history="/api/regressions/{regression.config_id}/history/"' in html, url
            live = response.context["live"]
            live = live[0] if isinstance(live, list) else live
            assert [trace["y"] for trace in live["figure"]["data"]] == [history["loss"], history["val_loss"]]
    finally:
        shutil.rmtree(folder)


def test_a_retrained_regression_shows_the_retrainings_live_curve_beside_its_results(logged_in, api_client, grid_epoch):
    regression = Regression.objects.filter(epoch=grid_epoch, status="trained").select_related("config").first()
    cert = regression_certificate(regression)
    job = job_enqueue(kind="regressions.train", target=regression.config, params={"regression_id": regression.pk})
    url = f"/api/regressions/{regression.config_id}/history/"
    # Queued, not yet running: the trained generation's history, not live.
    queued = api_client.get(url).json()
    assert queued["live"] is False and queued["retraining"] is False and queued["history"] == cert["training_history"]

    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    folder = epoch_layout(regression.epoch_id).checkpoint_dir(regression.config_id)
    history = {"loss": [0.5, 0.25], "val_loss": [0.6, 0.3]}
    write_partial_history(folder, partial_history(history, max_epochs=30, best_epoch=2))
    try:
        live = api_client.get(url).json()
        assert live["live"] is True and live["retraining"] is True and live["status"] == "trained"
        assert live["epochs"] == 2 and live["history"] == history

        for page in (f"/regressions/r/{regression.config_id}/", f"/regressions/batches/{regression.config.batch_id}/"):
            response = logged_in.get(page)
            html = response.content.decode()
            assert f'data-live-history="{url}"' in html, page
            assert "Retraining now" in html or ": retraining now" in html, page
            shown = response.context["live"]
            shown = shown[0] if isinstance(shown, list) else shown
            assert [trace["y"] for trace in shown["figure"]["data"]] == [history["loss"], history["val_loss"]]
        # The trained generation's results stay on its page meanwhile.
        page = logged_in.get(f"/regressions/r/{regression.config_id}/")
        assert page.context["cert"]["training_history"] == cert["training_history"]

        Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
        ended = api_client.get(url).json()
        assert ended["live"] is False and ended["retraining"] is False and ended["history"] == cert["training_history"]
    finally:
        shutil.rmtree(folder)
