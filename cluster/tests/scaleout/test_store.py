"""The central epoch store's rules: what it serves, what it accepts, and its API's refusals."""

from __future__ import annotations

import hashlib
import io
import json
import os

import pytest
from rest_framework.test import APIClient

from accounts.tokens import worker_account_token
from regressions.services.store import (
    ArtifactConflictError,
    ArtifactError,
    epoch_inputs_manifest,
    regression_store,
    servable_path,
)

pytestmark = pytest.mark.scaleout
RID = "KR_DNN_S2_0123456789abcdef0123456789abcdef"


def upload(contents: dict[str, bytes], *, checksums: dict[str, str] | None = None):
    files = {name: io.BytesIO(data) for name, data in contents.items()}
    sums = checksums if checksums is not None else {n: hashlib.sha256(d).hexdigest() for n, d in contents.items()}
    return files, sums


def trained(certificate: bytes = b'{"id": "x"}') -> dict[str, bytes]:
    return {"model.keras": b"keras", "model.h5": b"hdf5", "test_samples.json": b"[]", "certificate.json": certificate}


@pytest.fixture
def epoch(tmp_path):
    folder = tmp_path / "_EPOCH"
    (folder / "candlesticks").mkdir(parents=True)
    (folder / "candlesticks" / "normalized.parquet").write_bytes(b"candles")
    (folder / "candlesticks" / ".normalized.parquet.x.tmp").write_bytes(b"half")  # an unfinished atomic write
    (folder / "regression_training_configs" / "DNN").mkdir(parents=True)
    (folder / "regression_training_configs" / "DNN" / "KR_DNN_1_2.json").write_text("{}")
    (folder / "epoch.json").write_text('{"id": "_EPOCH"}')
    (folder / "epoch_settings.json").write_text("{}")
    (folder / "_EPOCH_receipt.txt").write_text("receipt")
    (folder / "regressions" / "old").mkdir(parents=True)
    (folder / "regressions" / "old" / "certificate.json").write_text("{}")
    (folder / "regression_batched_certificates").mkdir()
    (folder / "regression_batched_certificates" / "KR_DNN_1_2.json").write_text("[]")
    return folder


def test_inputs_manifest_lists_exactly_the_training_inputs_with_their_sha256(epoch):
    manifest = epoch_inputs_manifest(epoch)
    assert sorted(manifest) == [
        "candlesticks/normalized.parquet",
        "epoch.json",
        "epoch_settings.json",
        "regression_training_configs/DNN/KR_DNN_1_2.json",
    ]
    for rel, entry in manifest.items():
        data = (epoch / rel).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def test_only_inputs_and_regression_files_are_served_and_nothing_outside_the_epoch(epoch, tmp_path):
    assert (
        servable_path(epoch, "candlesticks/normalized.parquet")
        == (epoch / "candlesticks" / "normalized.parquet").resolve()
    )
    assert servable_path(epoch, "regressions/old/certificate.json").name == "certificate.json"
    (tmp_path / "secret").write_text("secret")
    os.symlink(tmp_path / "secret", epoch / "candlesticks" / "link")
    for rel in (
        "candlesticks/../../secret",
        "regressions/../epoch.json",
        "_EPOCH_receipt.txt",
        "candlesticks",
        "regression_batched_certificates/KR_DNN_1_2.json",
        "regressions/old/notes.txt",
        "candlesticks/.normalized.parquet.x.tmp",
        "/etc/passwd",
        "candlesticks/link",
        "",
    ):
        with pytest.raises(ArtifactError):
            servable_path(epoch, rel)
    with pytest.raises(FileNotFoundError):
        servable_path(epoch, "candlesticks/missing.parquet")


def test_a_verified_upload_is_stored_whole_and_again_is_accepted_without_change(epoch):
    contents = trained()
    created, stored = regression_store(epoch, RID, *upload(contents))
    assert created and stored["complete"]
    folder = epoch / "regressions" / RID
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == contents
    assert regression_store(epoch, RID, *upload(contents))[0] is False


def test_a_checksum_mismatch_stores_nothing(epoch):
    contents = trained()
    files, sums = upload(contents)
    sums["model.h5"] = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ArtifactError, match="sha256 mismatch.*model.h5"):
        regression_store(epoch, RID, files, sums)
    assert list((epoch / "regressions" / RID).iterdir()) == []  # not even a temporary file


@pytest.mark.parametrize("change", ["missing certificate", "no checksum", "foreign name", "escaping id"])
def test_malformed_uploads_are_refused(epoch, change):
    contents, regression_id = trained(), RID
    if change == "missing certificate":
        del contents["certificate.json"]
    files, sums = upload(contents)
    if change == "no checksum":
        del sums["model.keras"]
    elif change == "foreign name":
        files["../../epoch.json"], sums["../../epoch.json"] = io.BytesIO(b"{}"), hashlib.sha256(b"{}").hexdigest()
    elif change == "escaping id":
        regression_id = "../../outside"
    with pytest.raises(ArtifactError):
        regression_store(epoch, regression_id, files, sums)
    assert json.loads((epoch / "epoch.json").read_text()) == {"id": "_EPOCH"}
    assert not (epoch.parent / "outside").exists()


def test_different_files_for_a_stored_regression_are_a_conflict(epoch):
    regression_store(epoch, RID, *upload(trained()))
    with pytest.raises(ArtifactConflictError):
        regression_store(epoch, RID, *upload(trained(b'{"id": "other"}')))
    assert (epoch / "regressions" / RID / "certificate.json").read_bytes() == b'{"id": "x"}'


def test_a_retrained_generation_replaces_the_files_held_and_an_older_one_is_a_conflict(epoch):
    regression_store(epoch, RID, *upload(trained()))
    created, stored = regression_store(epoch, RID, *upload(trained(b'{"id": "retrained"}')), generation=1)
    assert created and stored["generation"] == 1 and stored["complete"]
    assert (epoch / "regressions" / RID / "certificate.json").read_bytes() == b'{"id": "retrained"}'
    assert regression_store(epoch, RID, *upload(trained(b'{"id": "retrained"}')), generation=1)[0] is False
    for late in (0, 1):  # a slower worker's copy of an older or the same generation
        with pytest.raises(ArtifactConflictError, match="generation 1"):
            regression_store(epoch, RID, *upload(trained(b'{"id": "late"}')), generation=late)
    assert (epoch / "regressions" / RID / "certificate.json").read_bytes() == b'{"id": "retrained"}'


# --- the API: worker (and administrator) tokens only, known epochs and regressions only -------


@pytest.fixture
def worker_client(db):
    """A scale-out worker's client: a token of a worker account, as provision_worker makes it."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {worker_account_token('worker')}")
    return client


def test_the_store_refuses_anonymous_and_non_worker_callers(api_client, client):
    for caller in (client, api_client):  # no credentials; an operator
        assert caller.get("/api/epoch-store/_EPOCH/inputs/").status_code in (401, 403)
        assert caller.post(f"/api/epoch-store/_EPOCH/regressions/{RID}/", {}).status_code in (401, 403)


def test_unknown_epochs_and_regressions_are_not_found(worker_client):
    assert worker_client.get("/api/epoch-store/_NOPE/inputs/").status_code == 404
    assert worker_client.get("/api/epoch-store/_NOPE/file/", {"path": "epoch.json"}).status_code == 404
    assert worker_client.post(f"/api/epoch-store/_NOPE/regressions/{RID}/", {}).status_code == 404


def test_a_worker_refuses_to_act_as_the_central_store(worker_client, settings):
    settings.CENTRAL_URL = "http://central.example"
    response = worker_client.get("/api/epoch-store/_EPOCH/inputs/")
    assert response.status_code == 400 and "CENTRAL_URL" in response.json()["message"]
