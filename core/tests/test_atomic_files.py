"""Atomic writes leave nothing behind, even after a writer killed mid-write."""

import os
import subprocess

from core.files import atomic_open, atomic_path


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / f".model.h5.{dead.pid}.x1.tmp.h5").write_bytes(b"half")  # its writer was SIGKILLed
    live = tmp_path / f".model.h5.{os.getppid()}.x2.tmp.h5"
    live.write_bytes(b"another writer, alive")
    with atomic_path(tmp_path / "model.h5") as tmp:
        tmp.write_bytes(b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "model.h5"]
    with atomic_open(tmp_path / "certificate.json") as handle:
        handle.write("{}")
    assert (tmp_path / "certificate.json").read_text() == "{}"
