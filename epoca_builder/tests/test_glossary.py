"""The glossary explains the terms the pages use, with the code's own values."""

import re

import pytest

from core import colours
from regressions.engine.training import SCHEDULE

pytestmark = pytest.mark.django_db

TERMS = {
    "pcr": "price change requirement",
    "msf": "min sum function",
    "msaf": "min sum adjustment factor",
    "points": "Points (discovery points)",
    "accuracy": "Discovery accuracy",
    "learning-rate": "InverseTimeDecay",
    "purge": "Purge",
    "holdout": "Holdout",
    "training-batch": "/api/training-batches/",
    "search": "/api/prediction-model-searches/",
    "times": "ISO 8601",
}


def _entries(html: str) -> dict[str, str]:
    return dict(re.findall(r'<dt id="([\w-]+)">(.*?)</dd>', html, flags=re.S))


def test_every_term_has_its_entry(admin_client):
    entries = _entries(admin_client.get("/glossary/").content.decode())
    missing = {anchor: words for anchor, words in TERMS.items() if words not in entries.get(anchor, "")}
    assert missing == {}


def test_the_learning_rate_schedule_and_the_colours_are_the_codes(admin_client):
    entries = _entries(admin_client.get("/glossary/").content.decode())
    assert f"starts at {SCHEDULE['initial_learning_rate']}" in entries["learning-rate"]
    assert f"{SCHEDULE['decay_rate']} · <var>n</var> / {SCHEDULE['decay_steps']}" in entries["learning-rate"]
    for name in ("LONG", "SHORT", "WON", "LOST"):
        assert f"color:{getattr(colours, name)}" in entries["colours"], name
