"""The Epoch File of a real small epoch, checked from the consumer's side (EPOCA_CONTRACT §1-§3)."""

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from core.errors import ApplicationError
from epochs.models import Epoch, EpochExport
from epochs.services.paths import epoch_dir
from pipeline.engine import epoch_file
from pipeline.engine.epoch_file_models import predict_in_child
from pipeline.services.export import epoch_export_enqueue, epoch_export_run, export_readiness
from testing.epoch_files import (
    consumer_feature,
    model_id,
    normalized,
    position_inputs,
    rewrite_zip,
    trained_ids,
    tree,
)
from testing.legacy_keras import LegacyKerasUnavailable, legacy_predict, legacy_python

pytestmark = pytest.mark.django_db

NUMBER, INTEGER, TEXT = (int, float), int, str
EPOCH_JSON_TYPES = {
    "seed": INTEGER,
    "id": TEXT,
    "sma_window_size": INTEGER,
    "train_split": NUMBER,
    "validation_split": NUMBER,
    "start": INTEGER,
    "end": INTEGER,
    "test_ds_start": INTEGER,
    "test_ds_end": INTEGER,
    "highest_price_sma": NUMBER,
    "lowest_price_sma": NUMBER,
    "regression_lookback": INTEGER,
    "regression_predictions": INTEGER,
    "exchange_fee": NUMBER,
    "position_size": NUMBER,
    "leverage": INTEGER,
    "idle_minutes_on_position_close": INTEGER,
}


def _export(epoch, **options):
    job = run_inline(epoch_export_enqueue(epoch=epoch, prediction_model_id=model_id(epoch), inline=True, **options))
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def test_exported_file_installs_and_predicts_in_the_consumer(trained_epoch, model_certificate, client, user, tmp_path):
    epoch = trained_epoch
    store_before = tree(settings.CANDLES_ROOT)
    job = _export(epoch)
    path = epoch_dir(epoch.id) / f"{epoch.id}.zip"
    ids = trained_ids(epoch)
    assert len(ids) == 4

    # --- what Epoca's install reads: root members only, three JSONs, one lower-case .h5 per regression
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        members = {name: archive.read(name) for name in names}
    assert sorted(names) == sorted(
        [
            "epoch.json",
            "prediction_model_certificate.json",
            "regression_certificates.json",
            "manifest.json",
            *(f"{rid}.h5" for rid in ids),
        ]
    )
    assert not any("/" in name for name in names)
    config = json.loads(members["epoch.json"])
    assert config["id"] == path.stem == epoch.id
    assert config == json.loads((epoch_dir(epoch.id) / "epoch.json").read_text())
    for key, kind in EPOCH_JSON_TYPES.items():
        assert isinstance(config[key], kind) and not isinstance(config[key], bool), key
    certificate = json.loads(members["prediction_model_certificate.json"])
    assert isinstance(certificate, dict) and certificate == model_certificate
    assert 30 <= len(certificate["id"]) <= 200 and "KR_" not in certificate["id"]
    order = [r["id"] for r in certificate["model"]["regressions"]]
    regression_certificates = json.loads(members["regression_certificates.json"])
    assert isinstance(regression_certificates, list) and [c["id"] for c in regression_certificates] == order == ids
    for cert in regression_certificates:
        assert cert["optimizer"] in ("Adam", "RMSprop") and isinstance(cert["keras_model_config"]["units"], list)
        assert set(cert["test_ds_evaluation"]) >= {"mean_absolute_error", "mean_squared_error"}
    manifest = json.loads(members["manifest.json"])
    assert manifest["members"] == {
        name: {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
        for name, body in members.items()
        if name != "manifest.json"
    }

    # --- each .h5 loaded by the consumer's old Keras 2 loader; features equal the certificate's
    try:
        legacy_python()
    except LegacyKerasUnavailable as exc:
        pytest.skip(f"the old-Keras virtualenv cannot be made here: {exc}")
    positions = certificate["backtest"]["positions"]
    inputs = position_inputs(epoch, [p["p"]["t"] for p in positions])
    # The build's own raw outputs on a few test windows (written at training time).
    samples = {
        rid: json.loads((epoch_dir(epoch.id) / "regressions" / rid / "test_samples.json").read_text())[:2]
        for rid in order
    }
    inputs = np.vstack([inputs, *[[s["x"] for s in samples[rid]] for rid in order]])
    consumer = tmp_path / "var-lib-epoch"
    consumer.mkdir()
    for rid in order:
        (consumer / f"{rid}.h5").write_bytes(members[f"{rid}.h5"])
    result = legacy_predict([consumer / f"{rid}.h5" for rid in order], inputs)
    for i, rid in enumerate(order):
        loaded = result["models"][str(consumer / f"{rid}.h5")]
        assert loaded["attrs"]["id"] == rid and loaded["attrs"]["lookback"] == epoch.regression_lookback
        assert loaded["attrs"]["predictions"] == epoch.regression_predictions
        for k, position in enumerate(positions):
            recomputed = consumer_feature(float(inputs[k][-1]), float(loaded["predictions"][k][-1]))
            assert abs(recomputed - position["p"]["f"][i]) <= 1e-6 + 1e-12, (rid, k)
        first = len(positions) + 2 * i
        for j, sample in enumerate(samples[rid]):
            assert np.allclose(loaded["predictions"][first + j], sample["predicted"], rtol=0, atol=1e-5), (rid, j)

    # --- recorded, verified, archived; the shared candle store untouched; re-export possible
    export = EpochExport.objects.get()
    assert export.verified and export.verification["ok"] and export.verification["features_compared"] == 4 * 3
    assert export.verification["raw_outputs_compared"] > 0 and export.regression_ids == order
    assert export.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and job.result["file"] == path.name
    assert Epoch.objects.get(pk=epoch.pk).status == "exported"
    record = json.loads((epoch_dir(epoch.id) / f"{epoch.id}_export.json").read_text())
    assert record["epoch"]["id"] == epoch.id and set(record["candles"].values()) == {"ok"}
    assert tree(settings.CANDLES_ROOT) == store_before
    assert all((epoch_dir(epoch.id) / "regressions" / rid / "model.h5").exists() for rid in order)

    # --- Epoca refuses ids it has seen: a second export is refused, unless the user says the first was never installed
    with pytest.raises(ApplicationError, match="fresh ids"):
        epoch_export_enqueue(epoch=epoch, prediction_model_id=model_id(epoch))
    export_readiness(epoch=epoch, prediction_model_id=model_id(epoch), reexport=True)

    # --- download: login required, streamed, the same bytes
    url = f"/epochs/{epoch.id}/download/"
    assert client.get(url).status_code == 302
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == path.read_bytes()
    assert f'filename="{epoch.id}.zip"' in response["Content-Disposition"]

    assert APIClient().get(f"/api/epochs/{epoch.id}/download/").status_code in (401, 403)
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(f"/api/epoch-exports/{export.pk}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == path.read_bytes()
    assert api.get("/api/epoch-exports/").json()["results"][0]["prediction_model_id"] == model_id(epoch)

    # --- inspect: our file, and the original tool's layout (no manifest)
    page = client.post("/epochs/inspect/", {"file": _upload(path.name, path.read_bytes())})
    assert (
        page.status_code == 200
        and certificate["id"] in page.content.decode()
        and "inspect-balance" in page.content.decode()
    )
    assert page.context["report"]["manifest_check"]["ok"] and not page.context["report"]["problems"]
    original = rewrite_zip(path.read_bytes(), drop=("manifest.json",))
    report = api.post("/api/epoch-files/inspect/", {"file": _upload(path.name, original)}, format="multipart").json()
    assert report["manifest"] is None and report["problems"] == []
    assert report["models"][order[0]]["attrs"]["id"] == order[0] and report["models"][order[0]]["layers"]


def _upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/zip")


def test_readiness_refuses_what_epoca_would(trained_epoch, model_certificate, monkeypatch):
    epoch = trained_epoch
    Epoch.objects.filter(pk=epoch.pk).update(prediction_interval=30)
    epoch.refresh_from_db()
    with pytest.raises(ApplicationError, match="15-minute"):
        export_readiness(epoch=epoch, prediction_model_id=model_id(epoch))
    export_readiness(epoch=epoch, prediction_model_id=model_id(epoch), confirm_interval=True)
    Epoch.objects.filter(pk=epoch.pk).update(prediction_interval=15)
    epoch.refresh_from_db()

    # A regression id already made public by another epoch's export.
    ids = trained_ids(epoch)
    other = Epoch.objects.create(id="_OTHER", candlestick_set=epoch.candlestick_set, status="exported")
    earlier = EpochExport.objects.create(
        epoch=other,
        prediction_model_id="_OTHER_" + "f" * 32,
        regression_ids=[ids[1]],
        file_path="_OTHER.zip",
        sha256="0" * 64,
        size=1,
    )
    with pytest.raises(ApplicationError, match=ids[1]):
        export_readiness(epoch=epoch, prediction_model_id=model_id(epoch))
    earlier.delete()

    # Over Epoca's upload limit: refused after writing, nothing left behind.
    before = tree(epoch_dir(epoch.id))
    monkeypatch.setattr(epoch_file, "MAX_EPOCH_FILE_BYTES", 10_000)
    with pytest.raises(ApplicationError, match="upload limit"):
        epoch_export_run(epoch=epoch, prediction_model_id=model_id(epoch), predict=_never)
    assert tree(epoch_dir(epoch.id)) == before
    assert not EpochExport.objects.exists() and Epoch.objects.get(pk=epoch.pk).status == "ready"


def _never(path, inputs):
    raise AssertionError("the models must not be run")


def test_verification_catches_altered_and_missing_members(trained_epoch, model_certificate, tmp_path):
    epoch = trained_epoch
    plan = export_readiness(epoch=epoch, prediction_model_id=model_id(epoch))
    path = tmp_path / f"{epoch.id}.zip"
    epoch_file.write_epoch_file(
        path,
        epoch_config=json.loads((epoch_dir(epoch.id) / "epoch.json").read_text()),
        model_certificate=plan.certificate,
        regression_certificates=plan.regression_certificates,
        h5_files=plan.h5_files,
        created=1,
    )
    ot, c = normalized(epoch)

    def verify(data: bytes, predict=_never):
        path.write_bytes(data)
        return epoch_file.verify_epoch_file(path, prediction_ot=ot, normalized=c, predict=predict)

    good = path.read_bytes()
    report = verify(good, predict_in_child)
    assert report.ok, report.problems
    assert report.features_compared == 12  # 3 positions x 4 regressions

    members = zipfile.ZipFile(io.BytesIO(good))
    altered = members.read("regression_certificates.json").replace(b'"Adam"', b'"RMSprop"', 1)
    report = verify(rewrite_zip(good, replace={"regression_certificates.json": altered}))
    assert not report.ok and any("regression_certificates.json: sha256" in p for p in report.problems)

    rid = plan.regression_ids[2]
    report = verify(rewrite_zip(good, drop=(f"{rid}.h5",)))
    assert not report.ok and f"{rid}.h5 is missing" in report.problems[0]

    # A feature the models do not produce (the manifest made to match): found by running them.
    certificate = json.loads(members.read("prediction_model_certificate.json"))
    feature = certificate["backtest"]["positions"][0]["p"]["f"]
    feature[1] = round(feature[1] + 0.02, 6) if feature[1] < 0.9 else round(feature[1] - 0.02, 6)
    wrong = rewrite_zip(
        good, replace={"prediction_model_certificate.json": json.dumps(certificate).encode()}, refresh_manifest=True
    )
    report = verify(wrong, predict_in_child)
    assert not report.ok and any(f"{plan.regression_ids[1]}.h5: feature at" in p for p in report.problems), (
        report.problems
    )
    assert report.features_compared == 12
