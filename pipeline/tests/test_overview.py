"""The pipeline overview of an epoch: each stage, its state, the next action."""

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from epochs.models import Epoch
from epochs.services.epochs import epoch_create
from pipeline.overview import epoch_pipeline, next_stage


def test_pipeline_shows_each_stage_and_the_next_action(candle_set, client, user):
    _epoch, job = epoch_create(candlestick_set=candle_set, id="_PIPE", epoch_width=1, inline=True)
    assert run_inline(job).status == JobStatus.SUCCEEDED
    stages = epoch_pipeline(Epoch.objects.get(pk="_PIPE"))
    assert [s.key for s in stages] == [
        "candles",
        "epoch",
        "configs",
        "training",
        "selection",
        "assets",
        "search",
        "build",
        "export",
    ]
    assert [s.state for s in stages[:3]] == ["done", "done", "todo"]
    assert next_stage(stages).key == "configs"
    assert next_stage(stages).action["url"] == "/api/training-batches/generate/_PIPE/"
    client.force_login(user)
    page = client.get("/epochs/_PIPE/")
    assert b'data-stage="configs"' in page.content and b"Generate configs" in page.content
