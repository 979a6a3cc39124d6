"""A catalogue of bad input per endpoint: each is a clear 4xx naming the field, and nothing is written.

Wrong types, numbers out of range, oversized strings and lists, deep nesting and malformed
query parameters, sent as an authenticated superuser to every endpoint that takes input.
"""

import json

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from cluster.models import Server
from epochs.forms import EpochCreateForm
from epochs.models import CandlestickSet, Epoch
from epochs.services.paths import epoch_dir
from testing.epoch_files import tree

pytestmark = pytest.mark.django_db

HUGE = "x" * 100_000
LONG_LIST = [4] * 100_000
DEEP = {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}
BIG_INT = 10**30

SERVER = {"name": "srv-1", "host": "127.0.0.1", "port": 22, "user": "root"}
# (method, path, body, field the answer must name); {server}/{epoch} are filled with real rows.
CATALOGUE = [
    ("post", "/api/candlestick-sets/import/", {"start_month": ["2021-01"], "end_month": "2021-02"}, "start_month"),
    (
        "post",
        "/api/candlestick-sets/import/",
        {"start_month": "2021-01", "end_month": "2021-02", "source": HUGE},
        "source",
    ),
    ("post", "/api/candlestick-sets/import/", {"start_month": "2021-01", "end_month": "2021-02", "name": HUGE}, "name"),
    ("post", "/api/candlestick-sets/import-bundle/", {"path": HUGE, "name": "b"}, "path"),
    ("post", "/api/candlestick-sets/import-bundle/", {"path": {"a": 1}, "name": "b"}, "path"),
    ("post", "/api/epochs/", {"id": "_ABCD", "data_end": -(10**18)}, "data_end"),
    ("post", "/api/epochs/", {"id": "_ABCD", "seed": BIG_INT}, "seed"),
    ("post", "/api/epochs/", {"id": "_ABCD", "epoch_width": "wide"}, "epoch_width"),
    ("post", "/api/epochs/", {"id": "_ABCD", "train_split": 1e308 * 10}, None),  # Infinity: not JSON
    ("post", "/api/epochs/", {"id": "_ABCD", "price_change_requirements": LONG_LIST}, "price_change_requirements"),
    ("post", "/api/epochs/", {"id": "_ABCD", "price_change_requirements": [1.0] * 1000}, "price_change_requirements"),
    ("post", "/api/epochs/", {"id": "_ABCD", "regressions_per_model": [2]}, "regressions_per_model"),
    ("post", "/api/epochs/", {"id": "_ABCD", "regressions_per_model": [4, 8, 16, 4]}, "regressions_per_model"),
    ("post", "/api/epochs/", {"id": HUGE}, "id"),
    ("post", "/api/epochs/", {"id": ["_ABCD"]}, "id"),
    ("post", "/api/epochs/", {"id": "_ABCD", "purge": "maybe"}, "purge"),
    ("post", "/api/epochs/", {"id": "_ABCD", "min_sum_functions": ["mean", "median", "mean"]}, "min_sum_functions"),
    ("post", "/api/epochs/{epoch}/export/", {"prediction_model_id": "short"}, "prediction_model_id"),
    ("post", "/api/epochs/{epoch}/export/", {"prediction_model_id": HUGE}, "prediction_model_id"),
    ("post", "/api/jobs/selfcheck/", {"steps": BIG_INT}, "steps"),
    ("post", "/api/jobs/selfcheck/", {"step_seconds": "slow"}, "step_seconds"),
    ("post", "/api/servers/", {**SERVER, "port": 70000}, "port"),
    ("post", "/api/servers/", {**SERVER, "host": "bad host; rm -rf /"}, "host"),
    ("post", "/api/servers/", {**SERVER, "max_jobs": BIG_INT}, "max_jobs"),
    ("post", "/api/servers/", {**SERVER, "python": HUGE}, "python"),
    ("post", "/api/servers/", {**SERVER, "name": {"a": 1}}, "name"),
    ("patch", "/api/servers/{server}/", {"remote_root": HUGE}, "remote_root"),
    ("patch", "/api/servers/{server}/", {"port": -1}, "port"),
    ("post", "/api/servers/{server}/confirm-host-key/", {"fingerprint": HUGE}, "fingerprint"),
    ("post", "/api/servers/{server}/install-key/", {"key_path": HUGE}, "key_path"),
    ("post", "/api/servers/{server}/kill/", {"job": BIG_INT}, "job"),
    ("post", "/api/servers/{server}/selfcheck/", {"options": {f"k{i}": i for i in range(1000)}}, "options"),
    ("post", "/api/servers/{server}/selfcheck/", {"check": HUGE}, "check"),
    ("post", "/api/servers/{server}/push/", {"what": ["code"] * 1000}, "what"),
    ("post", "/api/servers/{server}/pull/", {"what": ["nothing-like-this"], "epoch": "_ABCD"}, "what"),
    ("post", "/api/servers/{server}/pull/", {"what": ["everything"], "epoch": HUGE}, "epoch"),
    ("post", "/api/training-batches/1/train/", {"server": BIG_INT}, "server"),
    ("post", "/api/training-batches/train-all/{epoch}/", {"server": "local"}, "server"),
    ("post", "/api/training-batches/generate/{epoch}/", {"profile": HUGE}, "profile"),
    ("post", "/api/regressions/x/retrain/", {"server": -5}, "server"),
    ("post", "/api/regression-selections/", {"epoch": "{epoch}", "name": "s", "note": "n" * 1_000_000}, "note"),
    ("post", "/api/regression-selections/", {"epoch": "{epoch}", "name": "s", "size": BIG_INT}, "size"),
    (
        "post",
        "/api/regression-selections/",
        {"epoch": "{epoch}", "name": "s", "regression_ids": ["x" * 40] * 5000},
        "regression_ids",
    ),
    ("post", "/api/regression-selections/", {"epoch": "{epoch}", "name": "s", "criteria": {"k": HUGE}}, "criteria"),
    ("post", "/api/regression-selections/", {"epoch": "{epoch}", "name": HUGE}, "name"),
    ("post", "/api/prediction-model-searches/", {"selection": 2, "chunk_size": 1e30}, "chunk_size"),
    ("post", "/api/prediction-model-searches/", {"selection": BIG_INT}, "selection"),
    (
        "post",
        "/api/prediction-model-searches/",
        {"selection": 2, "regressions_per_model": [3]},
        "regressions_per_model",
    ),
    ("post", "/api/prediction-model-searches/1/build/", {"limit": BIG_INT}, "limit"),
    ("post", "/api/demo/", {"source": HUGE}, "source"),
    ("post", "/api/demo/", DEEP, None),
]
# (path with a bad query, parameter the answer must name)
QUERIES = [
    ("/api/epochs/?ordering=nope", "ordering"),
    ("/api/jobs/?ordering=created,-nope", "ordering"),
    ("/api/jobs/?page_size=%7B%22a%22%3A1%7D", "page_size"),
    ("/api/jobs/?page_size=0", "page_size"),
    ("/api/jobs/?page_size=1e3", "page_size"),
    ("/api/jobs/?page=-1", "page"),
    ("/api/epoch-exports/?verified=1", "verified"),
    ("/api/jobs/?top_level=yes", "top_level"),
    ("/api/servers/?is_cluster_worker=0", "is_cluster_worker"),
    ("/api/servers/{server}/log/?offset=-1", "offset"),
    ("/api/servers/{server}/log/?offset=" + "9" * 40, "offset"),
    ("/api/epochs/{epoch}/?with_dependants=1", "with_dependants"),
]


# The audit log records refused destructive requests too (who tried what): that is not the input written.
NOT_INPUT = {"accounts.AuditEntry"}


def _rows() -> dict:
    return {
        model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.label not in NOT_INPUT
    }


def _files() -> list:
    return [tree(root) for root in (settings.EPOCHS_ROOT, settings.CANDLES_ROOT)]


@pytest.fixture
def admin_client(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("catalogue", password="pw-for-tests"))
    return client


@pytest.fixture
def rows():
    candle_set = CandlestickSet.objects.create(name="cat-set")
    epoch = Epoch.objects.create(id="_CATALOGUE", candlestick_set=candle_set)
    server = Server.objects.create(name="cat-srv", host="127.0.0.1", port=1, user="root")
    return {"epoch": epoch.pk, "server": server.pk}


def _fill(value, rows):
    if isinstance(value, str):
        return value.format(**rows) if "{" in value and len(value) < 200 else value
    if isinstance(value, dict):
        return {k: _fill(v, rows) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "method,path,body,field", CATALOGUE, ids=[f"{m} {p} {f or 'body'} #{i}" for i, (m, p, _, f) in enumerate(CATALOGUE)]
)
def test_bad_body_is_a_clear_4xx_and_writes_nothing(method, path, body, field, admin_client, rows):
    rows_before, files_before = _rows(), _files()
    try:
        payload = json.dumps(_fill(body, rows), allow_nan=True)
    except ValueError:
        payload = json.dumps(body)
    response = getattr(admin_client, method)(path.format(**rows), payload, content_type="application/json")
    assert 400 <= response.status_code < 500 and response.status_code not in (404, 405), (
        response.status_code,
        response.content[:300],
    )
    answer = response.json()
    if field is not None:
        assert field in answer, answer
        assert all(isinstance(m, str) and len(m) < 1000 for m in _messages(answer[field])), answer[field]
    else:
        assert any(key in answer for key in ("detail", "message")), answer
    assert len(response.content) < 20_000, f"the answer echoes the input ({len(response.content):,} bytes)"
    assert _rows() == rows_before and _files() == files_before


@pytest.mark.parametrize("path,parameter", QUERIES)
def test_bad_query_is_a_400_naming_the_parameter(path, parameter, admin_client, rows):
    rows_before = _rows()
    method = "delete" if "with_dependants" in path else "get"
    response = getattr(admin_client, method)(path.format(**rows))
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert parameter in response.json(), response.json()
    assert _rows() == rows_before


def test_deep_nesting_is_refused_before_parsing(admin_client):
    response = admin_client.post("/api/demo/", "[" * 50_000 + "]" * 50_000, content_type="application/json")
    assert response.status_code == 400 and "levels deep" in response.json()["detail"]


def test_a_body_over_the_limit_is_a_413(admin_client):
    body = '{"source": "' + "x" * (settings.API_MAX_BODY_BYTES + 10) + '"}'
    response = admin_client.post("/api/demo/", body, content_type="application/json")
    assert response.status_code == 413 and "over the limit" in response.json()["detail"]


def _messages(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _messages(item)
    elif isinstance(value, list):
        for item in value:
            yield from _messages(item)
    else:
        yield value


@pytest.mark.parametrize(
    "field,value", [("seed", 10**13), ("train_split", 5), ("id", "_" + "A" * 200), ("leverage", -1)]
)
def test_the_epoch_form_bounds_every_field(field, value):
    data = {
        "id": "_ABCD",
        "preset": "default",
        "epoch_width": 1,
        "prediction_interval": 15,
        "seed": 1,
        "sma_window_size": 25,
        "train_split": 0.75,
        "validation_split": 0.2,
        "regression_lookback": 128,
        "regression_predictions": 32,
        "exchange_fee": 0.065,
        "position_size": 10000,
        "leverage": 3,
        "idle_minutes_on_position_close": 180,
        "regression_grid_profile": "original",
        "max_gap_minutes": 1440,
    }
    assert EpochCreateForm(data).is_valid(), EpochCreateForm(data).errors
    form = EpochCreateForm({**data, field: value})
    assert not form.is_valid() and field in form.errors


@pytest.mark.parametrize(
    "command,args,option",
    [
        ("create_epoch", ["--id", "_ABCD", "--seed", "10000000000000"], "--seed"),
        ("create_epoch", ["--id", "_ABCD", "--data_end", "-1000000000000000000"], "--data_end"),
        ("create_epoch", ["--id", "_" + "A" * 500], "--id"),
        ("initialize_prediction_models", ["--selection", "1", "--chunk-size", "1e30"], "--chunk-size"),
        (
            "initialize_prediction_models",
            ["--selection", "1", "--regressions-per-model", "3"],
            "--regressions-per-model",
        ),
        ("build_prediction_models", ["--search", "1", "--limit", "0"], "--limit"),
    ],
)
def test_the_command_line_bounds_every_number(command, args, option):
    rows_before = _rows()
    with pytest.raises(CommandError, match=f"argument {option}"):
        call_command(command, *args)
    assert _rows() == rows_before


def test_errors_name_paths_relative_to_the_epoch_never_the_servers_folders(admin_client, rows):
    Epoch.objects.filter(pk=rows["epoch"]).update(status="ready")
    folder = epoch_dir(rows["epoch"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "epoch.json").write_text("{}")
    model_id = f"{rows['epoch']}_{'0' * 32}"
    response = admin_client.post(
        f"/api/epochs/{rows['epoch']}/export/", {"prediction_model_id": model_id}, format="json"
    )
    assert response.status_code == 400, response.content
    message = response.json()["message"]
    assert f"{rows['epoch']}/prediction_models/" in message and str(settings.EPOCHS_ROOT) not in message, message
    assert "/tmp" not in message and str(settings.BASE_DIR) not in message
