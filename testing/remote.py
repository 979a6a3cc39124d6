"""The remote-training tests' epoch and the digests they compare trees with."""

import hashlib
from pathlib import Path

from regressions.models import Regression

EPOCH = "_REMOTE"


def unit_test_of(epoch) -> Regression:
    return Regression.objects.select_related("config__batch").get(epoch=epoch, config__category="UNIT_TEST")


def sha256_tree(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file below ``folder``, read independently of the code under test."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
