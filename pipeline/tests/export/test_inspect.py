"""The inspect page and API refuse what is not an Epoch File, clearly, and write nothing."""

import io
import json
import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from pipeline.engine.epoch_file import EpochFileError, read_epoch_file
from testing.epoch_files import tree, zip_of

pytestmark = pytest.mark.django_db

CONFIG = json.dumps({"id": "_ALPHA"}).encode()
VALID_JSONS = {"epoch.json": CONFIG, "prediction_model_certificate.json": b"{}", "regression_certificates.json": b"[]"}
CASES = {
    "not a zip": (b"PK\x03\x04 this is not really a zip", "not a zip archive"),
    "truncated": (zip_of(VALID_JSONS)[:-30], "not a zip archive, or a truncated one"),
    "zip-slip": (zip_of({"../evil": b"x", **VALID_JSONS}), "member '../evil': folders or path separators"),
    "absolute": (zip_of({"/tmp/evil": b"x", **VALID_JSONS}), "member '/tmp/evil'"),
    "folder": (zip_of({"_ALPHA/epoch.json": CONFIG}), "member '_ALPHA/epoch.json': folders"),
    "missing members": (zip_of({"epoch.json": CONFIG}), "missing member(s) prediction_model_certificate.json"),
    "bad json": (
        zip_of({**VALID_JSONS, "prediction_model_certificate.json": b"{nope"}),
        "prediction_model_certificate.json: not valid JSON",
    ),
    "infinity": (
        zip_of({**VALID_JSONS, "epoch.json": b'{"id": "_ALPHA", "x": Infinity}'}),
        "Infinity is not valid JSON",
    ),
    "no certificates": (zip_of(VALID_JSONS), "must hold at least one certificate"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_inspect_refuses_with_a_clear_error_and_writes_nothing(case, client, user, api_client):
    data, message = CASES[case]
    watched = [settings.EPOCHS_ROOT, settings.CANDLES_ROOT]
    before = [tree(root) for root in watched]
    cwd_before = set(os.listdir("."))
    client.force_login(user)
    page = client.post("/epochs/inspect/", {"file": SimpleUploadedFile("_ALPHA.zip", data)})
    assert page.status_code == 400 and message in page.context["error"], page.context["error"]
    response = api_client.post(
        "/api/epoch-files/inspect/", {"file": SimpleUploadedFile("_ALPHA.zip", data)}, format="multipart"
    )
    assert response.status_code == 400 and message in response.json()["message"]
    assert [tree(root) for root in watched] == before and set(os.listdir(".")) == cwd_before
    assert not (settings.EPOCHS_ROOT.parent / "evil").exists() and not os.path.exists("/tmp/evil")


def test_the_file_name_is_the_epoch_id():
    with pytest.raises(EpochFileError, match="differs from the file name"):
        read_epoch_file(
            io.BytesIO(zip_of({**VALID_JSONS, "regression_certificates.json": b'[{"id": "x"}]', "x.h5": b""})),
            name="_BETA.zip",
        )


def test_inspect_needs_a_login(client):
    assert client.get("/epochs/inspect/").status_code == 302
    assert client.post("/epochs/inspect/", {"file": SimpleUploadedFile("_ALPHA.zip", b"x")}).status_code == 302
