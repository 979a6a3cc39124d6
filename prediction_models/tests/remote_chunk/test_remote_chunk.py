"""A chunk of the profitable-config search evaluated on a loopback sshd server through the real
job runner: the assets pushed, evaluated there without a database, the result pulled back
verified and recorded centrally, exactly as a local evaluation of the same range."""

import hashlib
from pathlib import Path

import pytest

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from cluster.services.jobs import job_enqueue
from epochs.services.paths import epoch_dir
from prediction_models.choices import SearchStatus
from prediction_models.engine.assets import load_assets
from prediction_models.models import ConfigChunk, PredictionModelSearch, ProfitableConfig
from prediction_models.search_space import evaluate_range
from prediction_models.services import paths
from prediction_models.services.search import assets_export_json, chunk_spec, chunks_ensure
from testing.searches import make_search

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.ssh]


def _chunk_job(chunk, server):
    return run_inline(
        job_enqueue(
            kind="prediction_models.search_chunk",
            target=chunk.search,
            params={"chunk_id": chunk.pk},
            server=server,
            inline=True,
        )
    )


def _with_half_passing(search) -> tuple[ConfigChunk, set[int], dict]:
    """The chunk whose configs differ most in profit, with the filter set so that about half of
    them pass: the chunk, the configs that must pass and every config's figures (all passing)."""
    PredictionModelSearch.objects.filter(pk=search.pk).update(min_accuracy=0, min_profit=-1e18)
    search.refresh_from_db()
    every = dict(evaluate_range(load_assets(paths.assets_dir(search)), chunk_spec(search), 0, search.total_configs))
    assert sorted(every) == list(range(search.total_configs))

    def profits(chunk):
        return sorted({every[i]["profit"] for i in range(chunk.start, chunk.stop)})

    chunk = max(ConfigChunk.objects.filter(search=search).order_by("index"), key=lambda c: len(profits(c)))
    distinct = profits(chunk)
    assert len(distinct) >= 2, distinct
    min_profit = distinct[len(distinct) // 2 - 1]
    PredictionModelSearch.objects.filter(pk=search.pk).update(min_profit=min_profit)
    search.refresh_from_db()
    return chunk, {i for i in range(chunk.start, chunk.stop) if every[i]["profit"] > min_profit}, every


def test_a_chunk_runs_on_a_server_and_is_recorded_as_a_local_evaluation(servers, ssh_servers, pm_epoch, features_cache):
    server = servers[0]  # the remote root with spaces, quotes and `;`
    search = make_search(pm_epoch, features_cache)
    assets_export_json(search=search)  # the JSON export lies beside assets.npz: it must not travel
    chunks_ensure(search=search)
    chunk, passing, every = _with_half_passing(search)
    assert passing and len(passing) < chunk.stop - chunk.start

    size = chunk.stop - chunk.start
    job = _chunk_job(chunk, server)
    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
    assert job.result["chunk"] == chunk.index and job.result["evaluated"] == size
    assert f"started process {job.state['remote']['pid']} on {server.name}" in job.log_tail
    assert (job.progress_done, job.progress_total) == (size, size)  # the server's progress reached the job
    chunk.refresh_from_db()
    assert chunk.done and chunk.profitable == len(passing)

    # Recorded centrally: exactly the configs (and figures) of a local evaluation of the range.
    local = dict(evaluate_range(load_assets(paths.assets_dir(search)), chunk_spec(search), chunk.start, chunk.stop))
    assert set(local) == passing
    recorded = {c.config_index: c for c in ProfitableConfig.objects.filter(search=search)}
    assert set(recorded) == passing
    for index, config in recorded.items():
        summary = local[index]
        assert (config.profit, config.accuracy, config.positions, config.largest_drawdown, config.final_balance) == (
            summary["profit"],
            summary["accuracy"],
            summary["positions"],
            summary["largest_balance_drawdown"],
            summary["final_balance"],
        )
        assert config.profit == every[index]["profit"]
    search.refresh_from_db()
    assert search.status == SearchStatus.SEARCHING
    assert search.configs_evaluated == size and search.profitable_found == len(passing)

    # The result file was pulled back byte for byte.
    remote_epoch = Path(server.remote_root) / "epochs" / pm_epoch.id
    relative = Path("prediction_models") / "chunks" / str(search.pk) / str(chunk.index) / "found.json"
    pulled = epoch_dir(pm_epoch.id) / relative
    assert (
        hashlib.sha256(pulled.read_bytes()).hexdigest()
        == hashlib.sha256((remote_epoch / relative).read_bytes()).hexdigest()
    )

    # The server got the selection assets and the spec only: no holdout, features or JSON export.
    here = {p.name for p in paths.assets_dir(search).iterdir()}
    assert {"assets.npz", "search_spec.json", "features", "features.json", "labels.json"} <= here
    sent = remote_epoch / "prediction_models" / "assets" / str(search.pk)
    assert sorted(p.name for p in sent.rglob("*")) == ["assets.npz", "search_spec.json"]
    assert [p.name for p in remote_epoch.iterdir()] == ["prediction_models"]
    assert hashlib.sha256((sent / "assets.npz").read_bytes()).hexdigest() == search.assets_sha256
    assert not [p for p in Path(server.remote_root).rglob("*") if ".sqlite3" in p.name]

    # The same job again: the chunk is done, so nothing runs remotely and nothing is recorded twice.
    logs = set((Path(server.remote_root) / "logs").iterdir())
    again = _chunk_job(chunk, server)
    assert again.status == JobStatus.SUCCEEDED, again.error + again.log_tail
    assert again.result == {"chunk": chunk.index, "skipped": "done already"} and "remote" not in again.state
    assert set((Path(server.remote_root) / "logs").iterdir()) == logs
    assert ProfitableConfig.objects.filter(search=search).count() == len(passing)
    search.refresh_from_db()
    assert search.configs_evaluated == size
    assert not ssh_servers.pwned_marker.exists()
