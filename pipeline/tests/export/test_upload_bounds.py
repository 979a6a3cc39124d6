"""Hostile Epoch Files sent to a real server process: each is answered clearly, in bounded memory.

Every upload goes to a fresh ``runserver`` process; its peak resident memory (VmHWM in
/proc) is read after a warm-up request and again after the upload, and may grow by less than
300 MiB whatever the file holds.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from testing.epoch_files import EPOCH_ID, REGRESSION_ID, json_members, write_h5
from testing.sshd import free_port

pytestmark = pytest.mark.slow

MAX_GROWTH_MIB = 300
BASE_DIR = Path(settings.BASE_DIR)


def _env(db: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings",
        "DATABASE_URL": f"sqlite:///{db}",
        "EPOCA_VAR_DIR": str(db.parent),
        "EPOCHS_ROOT": str(db.parent / "epochs"),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="module")
def server_db(tmp_path_factory):
    """A migrated database with an operator and a token, for the server processes."""
    db = tmp_path_factory.mktemp("upload-server") / "db.sqlite3"
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=_env(db), check=True, cwd=BASE_DIR, timeout=300)
    script = (
        "from django.contrib.auth import get_user_model; from knox.models import AuthToken; "
        "from accounts.roles import role_assign; "
        "u = role_assign(get_user_model().objects.create_user('uploader', password='pw-for-tests'), 'operator'); "
        "print(AuthToken.objects.create(u)[1])"
    )
    out = subprocess.run(
        [*manage, "shell", "-c", script],
        env=_env(db),
        check=True,
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
        timeout=120,
    )
    return db, out.stdout.strip().splitlines()[-1]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


class Server:
    def __init__(self, db: Path, token: str):
        self.port = free_port()
        self.token = token
        self.process = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=_env(db),
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = self.request("GET", "/api/jobs/")
                assert status == 200
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.3)

    def request(self, method, path, headers=None, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            conn.request(method, path, body=body, headers={"Authorization": f"Token {self.token}", **(headers or {})})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def upload(self, path: Path, name: str):
        """POST the file to the inspector as multipart, streamed from disk."""
        boundary = uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = len(head) + path.stat().st_size + len(tail)

        def body():
            yield head
            with path.open("rb") as handle:
                while chunk := handle.read(2**20):
                    yield chunk
            yield tail

        return self.request(
            "POST",
            "/api/epoch-files/inspect/",
            body=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(size)},
        )

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def write_zip(path: Path, members: dict[str, bytes | Path], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            if isinstance(data, Path):
                archive.write(data, name)
            else:
                archive.writestr(name, data)
    return path


def bomb(path: Path) -> Path:
    """1 GiB of zeros as the model member: about 1 MiB compressed."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in json_members().items():
            archive.writestr(name, data)
        zeros = bytes(2**24)
        with archive.open(f"{REGRESSION_ID}.h5", "w", force_zip64=True) as member:
            for _ in range(64):
                member.write(zeros)
    return path


def over_limit(path: Path) -> Path:
    """A valid zip of 400 MiB (stored random bytes): over Epoca's 390 MiB."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in json_members().items():
            archive.writestr(name, data)
        with archive.open(f"{REGRESSION_ID}.h5", "w", force_zip64=True) as member:
            rng = np.random.default_rng(0)
            for _ in range(400):
                member.write(rng.bytes(2**20))
    return path


def big_attribute(path: Path) -> Path:
    """A model whose description is 60 MiB of incompressible text."""
    text = np.random.default_rng(1).integers(97, 123, 60 * 2**20, dtype=np.uint8).tobytes().decode()
    h5 = write_h5(path.with_suffix(".h5"), description=text)
    return write_zip(path, {**json_members(), f"{REGRESSION_ID}.h5": h5})


def lambda_layer(path: Path) -> Path:
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "name": "Input_1"}},
        {"class_name": "Lambda", "config": {"name": "evil", "function": ["4wEAAAAAAAAA", None, None]}},
        {"class_name": "Dense", "config": {"name": "Dense_Output", "units": 2, "activation": "linear"}},
    ]
    return write_zip(path, {**json_members(), f"{REGRESSION_ID}.h5": write_h5(path.with_suffix(".h5"), layers=layers)})


def nested_member(path: Path) -> Path:
    deep = b"[" * 50_000 + b"]" * 50_000
    return write_zip(
        path, {**json_members(), "epoch.json": deep, f"{REGRESSION_ID}.h5": write_h5(path.with_suffix(".h5"))}
    )


def renamed(path: Path) -> Path:
    return write_zip(path, {**json_members(), f"{REGRESSION_ID}.h5": write_h5(path.with_suffix(".h5"))})


# case -> (build, name sent, expected status, text the answer must hold)
CASES = {
    "1 GiB bomb": (bomb, f"{EPOCH_ID}.zip", 400, "over the limit"),
    "over-limit zip": (over_limit, f"{EPOCH_ID}.zip", 413, "over the limit of 390.0 MiB"),
    "60 MiB attribute": (
        big_attribute,
        f"{EPOCH_ID}.zip",
        200,
        "root attribute 'description' is a variable-length value",
    ),
    "Lambda layer": (lambda_layer, f"{EPOCH_ID}.zip", 200, "layer class 'Lambda' is not allowed"),
    "deeply nested member": (nested_member, f"{EPOCH_ID}.zip", 400, "levels deep, more than the limit"),
    "renamed file": (renamed, "demo_epoch.zip", 200, "rename the file to _ALPHA.zip"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_epoch_file_is_answered_clearly_in_bounded_memory(case, server_db, tmp_path):
    build, name, expected_status, expected_text = CASES[case]
    upload = build(tmp_path / "upload.zip")
    server = Server(*server_db)
    try:
        before = peak_rss_mib(server.process.pid)
        status, body = server.upload(upload, name)
        after = peak_rss_mib(server.process.pid)
    finally:
        server.stop()
    text = body.decode("utf-8", "replace")
    assert status == expected_status, text[:2000]
    assert expected_text in text, text[:2000]
    assert len(body) < 2**20, f"a {len(body):,}-byte answer"
    assert after - before < MAX_GROWTH_MIB, (
        f"peak memory grew by {after - before:.0f} MiB ({before:.0f} -> {after:.0f})"
    )
    if expected_status == 200:
        report = json.loads(body)
        assert any(expected_text in problem for problem in report["problems"]), report["problems"]
        if case == "renamed file":
            assert report["installable"] is False and report["expected_name"] == "_ALPHA.zip"
    print(
        f"{case}: {status}, peak memory {before:.0f} -> {after:.0f} MiB, upload {upload.stat().st_size / 2**20:.1f} MiB"
    )
