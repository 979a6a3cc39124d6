"""The stages registry: the pipeline overview, the demo and the README all follow it."""

from pathlib import Path
from types import SimpleNamespace

from django.urls import reverse

from pipeline import demo
from pipeline.stages import STAGE_KEYS, STAGES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_demo_runs_every_stage_in_order():
    assert tuple(demo.STAGES) == STAGE_KEYS


def test_the_readme_lists_every_stage_with_its_command():
    table = README.read_text().split("| stage | command | what it does |", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(" | ") for line in table.strip().splitlines()[1:]]
    assert [row[0].lstrip("| ") for row in rows] == list(STAGE_KEYS)
    for row, spec in zip(rows, STAGES, strict=False):
        assert spec.command in row[1] and row[2].rstrip(" |") == spec.summary


def test_every_next_action_and_page_is_a_named_url():
    """Each declared URL name resolves with the arguments its stage gives (plain values stand for the rows)."""
    facts = SimpleNamespace(
        epoch=SimpleNamespace(pk="_X", prediction_interval=15, regressions_per_model=[4]),
        search=SimpleNamespace(pk=3),
        selection=SimpleNamespace(pk=2),
        best=SimpleNamespace(pk="M", id="M"),
        trained=10,
        export=object(),
    )
    for spec in STAGES:
        link = spec.link(facts)
        if link is not None:
            assert reverse(link[0], kwargs=link[1]).startswith("/"), spec.key
        if spec.action is not None:
            assert reverse(spec.action.url_name, kwargs=spec.action.kwargs(facts)).startswith("/api/"), spec.key
            assert spec.action.label.format(**spec.action.body(facts))
