"""The regression grid of an epoch: batches and configs as rows, and the original's files."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from cluster.services.jobs import job_enqueue
from core.cores import usable_cores
from core.errors import ApplicationError
from core.files import write_json
from epochs.choices import EpochStatus
from epochs.engine.layout import EpochLayout, training_config_file
from epochs.models import Epoch
from epochs.services.paths import epoch_dir
from regressions.engine import grid as grid_engine
from regressions.engine.ids import canonical_json
from regressions.models import Regression, RegressionConfig, TrainingBatch

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from cluster.models import Job


def configs_generate_enqueue(
    *, epoch: Epoch, profile: str | None = None, user: User | None = None, inline: bool = False
) -> Job:
    if epoch.status not in (EpochStatus.READY, EpochStatus.EXPORTED):
        raise ApplicationError(f"Epoch {epoch.id} is {epoch.status}: create it first.")
    if epoch.batches.exists():
        raise ApplicationError(f"Epoch {epoch.id} has its regression configs already.")
    profile = profile or epoch.regression_grid_profile
    try:
        grid_engine.load_profile(profile)
    except (grid_engine.GridProfileError, FileNotFoundError, KeyError) as exc:
        raise ApplicationError(f"Grid profile {profile!r}: {exc}") from None
    return job_enqueue(
        kind="regressions.generate_configs",
        target=epoch,
        params={"profile": profile},
        user=user,
        dedup_key=f"grid:{epoch.id}",
        inline=inline,
    )


def configs_plan(*, epoch: Epoch, profile: str) -> grid_engine.GridResult:
    """Expand the epoch's grid profile (deterministic: same epoch, same ids and order)."""
    return grid_engine.generate_grid(
        grid_engine.load_profile(profile),
        epoch_id=epoch.id,
        fingerprint=epoch.data_fingerprint,
        seed=epoch.seed,
        lookback=epoch.regression_lookback,
        predictions=epoch.regression_predictions,
        created_at=datetime.now(UTC),
    )


def distinct_architectures(result: grid_engine.GridResult) -> list[dict]:
    """Each Keras model config once: building one per architecture checks the whole grid."""
    distinct: dict[str, dict] = {}
    for config in [*result.configs, *result.unit_test.configs]:
        distinct.setdefault(canonical_json(config["keras_model"]), config["keras_model"])
    return list(distinct.values())


def configs_generate(
    *,
    epoch: Epoch,
    profile: str,
    check_architectures: Callable[[list[list[str]]], object],
    log: Callable[[str], None] = lambda message: None,
) -> dict:
    """The configs job: plan the grid, build each distinct architecture once (``check_architectures``
    runs the child processes, at once, that refuse one Keras cannot build), record the configs and batches."""
    if epoch.batches.exists():
        return {"skipped": "configs exist already"}
    result = configs_plan(epoch=epoch, profile=profile)
    architectures = distinct_architectures(result)
    log(
        f"{len(result.configs)} configs in {len(result.batches)} batches; building {len(architectures)} distinct architectures"
    )
    # The architectures shared among one process per core, which build them at once.
    parts = max(1, min(usable_cores(), len(architectures)))
    with tempfile.TemporaryDirectory(prefix="architectures-") as folder:
        argvs = []
        for part in range(parts):
            path = Path(folder) / f"part{part}.json"
            path.write_text(json.dumps(architectures[part::parts]))
            argvs.append(
                [
                    sys.executable,
                    "-m",
                    "regressions.engine.architecture_check",
                    str(path),
                    "--lookback",
                    str(epoch.regression_lookback),
                    "--predictions",
                    str(epoch.regression_predictions),
                    "--threads",
                    str(settings.TRAINING_THREADS),
                ]
            )
        check_architectures(argvs)
    return configs_record(epoch=epoch, profile=profile, result=result)


def _batch_file(batch: grid_engine.Batch | TrainingBatch) -> str:
    if batch.category == "UNIT_TEST":
        return training_config_file("UNIT_TEST", "UNIT_TEST")
    return training_config_file(batch.category, batch.name)


def configs_record(*, epoch: Epoch, profile: str, result: grid_engine.GridResult) -> dict:
    """Write the original's batch files and receipt, then the rows (all or nothing)."""
    if epoch.batches.exists():
        return {"skipped": "configs exist already", "batches": epoch.batches.count()}
    folder = epoch_dir(epoch.id)
    batches = [*result.batches, result.unit_test]
    for batch in batches:
        write_json(folder / _batch_file(batch), batch.as_dict(), indent=4)
    EpochLayout(folder).training_configs_receipt.write_text(result.receipt)
    with transaction.atomic():
        for batch in batches:
            number, total = _numbering(batch.name)
            row = TrainingBatch.objects.create(
                epoch=epoch,
                name=batch.name,
                category=batch.category,
                number=number,
                total=total,
                profile=profile,
                config_file=_batch_file(batch),
            )
            configs = RegressionConfig.objects.bulk_create(
                [
                    RegressionConfig(
                        id=c["id"],
                        epoch=epoch,
                        batch=row,
                        position=i,
                        category=batch.category,
                        template=c["keras_model"]["name"],
                        learning_rate=c["learning_rate"],
                        loss=c["loss"],
                        metric=c["metric"],
                        config=c,
                    )
                    for i, c in enumerate(batch.configs)
                ]
            )
            Regression.objects.bulk_create([Regression(config=c, epoch=epoch) for c in configs])
    counts: dict[str, dict] = {}
    for batch in result.batches:
        entry = counts.setdefault(batch.category, {"configs": 0, "batches": 0})
        entry["configs"] += len(batch.configs)
        entry["batches"] += 1
    return {
        "profile": profile,
        "configs": len(result.configs),
        "batches": len(result.batches),
        "per_category": counts,
        "unit_test": result.unit_test.configs[0]["id"],
    }


def _numbering(name: str) -> tuple[int, int]:
    if name == grid_engine.UNIT_TEST_BATCH:
        return 1, 1
    parts = name.split("_")
    return int(parts[-2]), int(parts[-1])


def grid_profile_problem(profile: str) -> str | None:
    """Why an epoch's regression grid profile cannot be loaded, or None (checked at epoch creation)."""
    try:
        grid_engine.load_profile(profile)
    except grid_engine.GridProfileError as exc:
        return str(exc)
    return None
