"""The Epoch File reader's bounds: the zip directory is judged before any member is read."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pipeline.engine.epoch_file import (
    EpochFileError,
    EpochFileLimits,
    h5_metadata,
    inspect_epoch_file,
    model_config_problems,
    read_epoch_file,
)
from testing.epoch_files import EPOCH_ID, REGRESSION_ID, json_members, write_h5

LIMITS = EpochFileLimits(
    members=8,
    member_bytes=4 * 2**20,
    total_bytes=6 * 2**20,
    json_bytes=2**20,
    json_depth=10,
    compression_ratio=50,
    echoed_chars=1000,
)


def zipped(members: dict, compression=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def valid(tmp_path, **h5) -> dict:
    return {**json_members(), f"{REGRESSION_ID}.h5": write_h5(tmp_path / "m.h5", **h5).read_bytes()}


def never_read(monkeypatch):
    """Fail the test if a member is read: the directory alone must refuse the file."""
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("a member was read"))


@pytest.mark.parametrize(
    "members,message",
    [
        ({f"m{i}.json": b"{}" for i in range(9)}, "9 members, more than the limit of 8"),
        ({"epoch.json": b"{}", "x" * 300: b""}, "a name longer than 255 characters"),
        ({"big.h5": bytes(5 * 2**20)}, "over the limit of 4.0 MiB"),
        ({"epoch.json": b" " * (2 * 2**20)}, "member epoch.json: 2.0 MiB uncompressed, over the limit of 1.0 MiB"),
        ({"a.h5": os.urandom(3 * 2**20 + 5), "b.h5": os.urandom(3 * 2**20 + 5)}, "more than 6.0 MiB uncompressed"),
    ],
)
def test_the_directory_is_refused_before_any_member_is_read(members, message, monkeypatch):
    archive = zipped(members)
    never_read(monkeypatch)
    with pytest.raises(EpochFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_epoch_file(archive, name=f"{EPOCH_ID}.zip", limits=LIMITS)


def test_a_compression_bomb_is_named(monkeypatch):
    archive = zipped({"bomb.h5": bytes(3 * 2**20)})
    never_read(monkeypatch)
    with pytest.raises(EpochFileError, match="compressed .* to 1, over the limit of 50 to 1"):
        read_epoch_file(archive, name=f"{EPOCH_ID}.zip", limits=LIMITS)


def test_a_deep_json_member_is_refused_before_parsing():
    members = {**json_members(), "regression_certificates.json": b"[" * 11 + b"]" * 11}
    with pytest.raises(EpochFileError, match="regression_certificates.json: nested 11 levels deep"):
        read_epoch_file(zipped(members), name=f"{EPOCH_ID}.zip", limits=LIMITS)


def test_strings_echoed_back_are_cut(tmp_path):
    report = inspect_epoch_file(zipped(valid(tmp_path, description="d" * 5000)), name=f"{EPOCH_ID}.zip", limits=LIMITS)
    description = report["models"][REGRESSION_ID]["attrs"]["description"]
    assert description.startswith("d" * 1000) and "4,000 more characters" in description and len(description) < 1100
    assert report["installable"] and not any(f"{REGRESSION_ID}.h5" in p for p in report["problems"]), report["problems"]


def test_the_file_name_other_than_the_epoch_id_blocks_the_install(tmp_path):
    report = inspect_epoch_file(zipped(valid(tmp_path)), name="demo_epoch.zip", limits=LIMITS)
    assert report["epoch_id"] == EPOCH_ID and report["expected_name"] == f"{EPOCH_ID}.zip"
    assert report["installable"] is False
    assert "rename the file to _ALPHA.zip" in report["problems"][0]
    with pytest.raises(EpochFileError, match="differs from the file name"):  # our own exports stay strict
        read_epoch_file(zipped(valid(tmp_path)), name="demo_epoch.zip")


@pytest.mark.parametrize(
    "layer,message",
    [
        (
            {"class_name": "Lambda", "config": {"name": "x", "function": "..."}},
            "layer class 'Lambda' is not allowed (a Lambda layer runs code",
        ),
        ({"class_name": "MyLayer", "config": {"name": "x"}}, "layer class 'MyLayer' is not allowed"),
        (
            {"class_name": "Dense", "config": {"name": "x", "activation": "my_activation"}},
            "activation 'my_activation' is not allowed",
        ),
        (
            {
                "class_name": "Dense",
                "config": {"name": "x", "kernel_initializer": {"class_name": "Evil", "config": {}}},
            },
            "class 'Evil' is not allowed",
        ),
        (
            {
                "class_name": "Dense",
                "config": {"name": "x", "kernel_initializer": {"class_name": "Zeros", "registered_name": "custom>Z"}},
            },
            "registered_name 'custom>Z'",
        ),
    ],
)
def test_the_model_configuration_is_checked_against_the_allow_list(layer, message):
    config = {"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {}}, layer]}}
    problems = model_config_problems(config, "m.h5")
    assert len(problems) == 1 and message in problems[0], problems


def test_a_functional_model_is_not_allowed():
    assert (
        "model class 'Functional' is not allowed"
        in model_config_problems({"class_name": "Functional", "config": {}}, "m.h5")[0]
    )


def test_an_oversized_fixed_attribute_is_not_read(tmp_path):
    import h5py  # why: h5py is heavy; loaded only where .h5 files are read

    path = tmp_path / "m.h5"
    with h5py.File(path, "w", libver="latest") as handle:  # dense attribute storage: attributes over 64 KiB
        handle.attrs.update({"id": REGRESSION_ID, "lookback": 4, "predictions": 2})
        handle.attrs["description"] = np.bytes_(b"x" * (2 * 2**20))
    meta = h5_metadata(str(path), "m.h5", LIMITS)
    assert "description" not in meta["attrs"] and "description" not in meta["missing_attributes"]
    assert any("root attribute 'description' holds 2.0 MiB (not read" in p for p in meta["problems"]), meta["problems"]


def test_the_demo_models_pass_the_allow_list(tmp_path):
    """Our own templates, written by our legacy HDF5 writer, are all allowed."""
    config = json.loads(
        json.dumps(
            {
                "class_name": "Sequential",
                "config": {
                    "layers": [
                        {"class_name": "InputLayer", "config": {}},
                        {"class_name": "Reshape", "config": {}},
                        {
                            "class_name": "Conv1D",
                            "config": {
                                "activation": "relu",
                                "kernel_initializer": {
                                    "class_name": "GlorotUniform",
                                    "config": {},
                                    "registered_name": None,
                                },
                            },
                        },
                        {"class_name": "MaxPooling1D", "config": {}},
                        {
                            "class_name": "LSTM",
                            "config": {
                                "activation": "tanh",
                                "recurrent_activation": "sigmoid",
                                "recurrent_initializer": {"class_name": "Orthogonal"},
                            },
                        },
                        {"class_name": "GRU", "config": {}},
                        {"class_name": "Flatten", "config": {}},
                        {
                            "class_name": "Dense",
                            "config": {"activation": "linear", "bias_initializer": {"class_name": "Zeros"}},
                        },
                    ]
                },
            }
        )
    )
    assert model_config_problems(config, "m.h5") == []


@pytest.mark.django_db
def test_the_page_and_the_api_refuse_an_upload_over_the_limit_without_storing_it(client, user, api_client, settings):
    settings.EPOCH_FILE_MAX_BYTES = 64 * 1024
    data = os.urandom(3 * 64 * 1024)
    client.force_login(user)
    page = client.post("/epochs/inspect/", {"file": SimpleUploadedFile(f"{EPOCH_ID}.zip", data)})
    assert page.status_code == 413 and "over the limit of 64.0 KiB" in page.context["error"]
    response = api_client.post(
        "/api/epoch-files/inspect/", {"file": SimpleUploadedFile(f"{EPOCH_ID}.zip", data)}, format="multipart"
    )
    assert response.status_code == 413 and "the Epoch File" in response.json()["detail"]
