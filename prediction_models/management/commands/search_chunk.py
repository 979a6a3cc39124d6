"""Evaluate configs [start, stop) of a search from its assets folder; needs no database.

Cluster servers run it: the assets folder holds ``assets.npz`` and ``search_spec.json``; the
configs that pass the filter are written to ``--out`` as ``[[index, summary], ...]``, and the
chunk's partial overfitting statistics beside it (``overfitting.npz``).
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from cluster.jobs.process import emit
from core.files import read_json, write_json
from epochs.engine.layout import CHUNK_OVERFITTING
from prediction_models.engine.assets import load_assets
from prediction_models.search_space import (
    SPEC_FILE,
    evaluate_range,
    overfitting_accumulator,
    overfitting_partial_write,
)


class Command(BaseCommand):
    help = "Evaluate a range of a prediction-model search's configs (no database needed)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--assets-dir", required=True)
        parser.add_argument("--start", type=int, required=True)
        parser.add_argument("--stop", type=int, required=True)
        parser.add_argument("--out", required=True)

    def handle(self, *args, assets_dir, start, stop, out, **options):
        assets = load_assets(assets_dir)
        spec = read_json(Path(assets_dir) / SPEC_FILE)
        accumulator = overfitting_accumulator(assets, spec["overfitting"])[0] if spec.get("overfitting") else None
        found = evaluate_range(
            assets,
            spec,
            start,
            stop,
            progress=lambda done, total, found_here: emit(progress=[done, total, f"{found_here} profitable so far"]),
            accumulator=accumulator,
        )
        if accumulator is not None:  # first: the found file is what says the chunk finished
            overfitting_partial_write(Path(out).parent / CHUNK_OVERFITTING, accumulator)
        write_json(out, [[index, summary] for index, summary in found])
        emit(result={"evaluated": stop - start, "profitable": len(found), "out": str(out)})
