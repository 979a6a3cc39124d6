"""Verifying a written Epoch File: manifest, contract, and the models' outputs run again."""

from __future__ import annotations

import hashlib
import math
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from epochs.engine.epoch_file_contract import contract_problems, id_problems

from .features import at_rounding_edge, feature
from .format import FEATURE_STEP, MANIFEST, RAW_OUTPUT_TOLERANCE, EpochFile, EpochFileError
from .h5 import _check_h5
from .reading import open_zip, read_epoch_file, read_member

Predictor = Callable[[Path, Mapping[str, list]], Mapping[str, list]]


@dataclass
class VerifyReport:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    features_compared: int = 0
    largest_feature_difference: float = 0.0
    raw_outputs_compared: int = 0
    largest_raw_difference: float = 0.0

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def verify_epoch_file(
    path: str | os.PathLike,
    *,
    prediction_ot: np.ndarray,
    normalized: np.ndarray,
    predict: Predictor,
    name: str | None = None,
    windows: int = 3,
    reference_samples: Mapping[str, Sequence[Mapping]] | None = None,
    require_manifest: bool = True,
) -> VerifyReport:
    """Re-open an exported Epoch File as the consumer would and check everything it relies on.

    1. Epoca's install checks (:func:`read_epoch_file`), then every §1 key and type and the id rules.
    2. The manifest: every member listed with its sha256 and size, nothing more, nothing less.
    3. One ``.h5`` per model regression, with its four root attributes matching the certificate.
    4. The models, loaded by ``predict`` (Keras in a child process), on ``windows`` backtest
       positions spread over the test range: the features recomputed from their outputs equal
       the certificate's ``p.f`` within :data:`FEATURE_STEP`. ``reference_samples``
       (``{id: [{"x", "predicted"}]}``: the build's own raw outputs) are compared within
       :data:`RAW_OUTPUT_TOLERANCE`.

    ``prediction_ot`` and ``normalized`` are the epoch's prediction-candle open times and
    normalised closes (the model inputs).
    """
    path = Path(path)
    report = VerifyReport()
    try:
        file = read_epoch_file(path, name=name or path.name)
    except EpochFileError as exc:
        report.fail(str(exc))
        return report
    report.checks.append("install checks of Epoca (members, ids, one .h5 and one certificate per model regression)")
    for problem in contract_problems(file) + id_problems(
        file.epoch_config, file.model_certificate, file.regression_certificates
    ):
        report.fail(problem)
    report.checks.append("EPOCA_CONTRACT §1 keys and types, id rules")
    order = file.model_regression_ids
    if sorted(file.h5_members) != sorted(f"{rid}.h5" for rid in order):
        report.fail(f"model files: expected exactly one .h5 per model regression, found {file.h5_members}")
    with open_zip(path, file.name) as archive:
        _verify_manifest(archive, file, report, require_manifest)
        configs = {rc.get("id"): rc for rc in file.model_certificate["model"]["regressions"]}
        for rid in order:
            try:
                _check_h5(
                    read_member(archive, f"{rid}.h5", file.name),
                    rid,
                    f"{rid}.h5",
                    configs[rid].get("lookback"),
                    configs[rid].get("predictions"),
                )
            except EpochFileError as exc:
                report.fail(str(exc))
    report.checks.append("root attributes id, description, lookback, predictions of every .h5 (h5py)")
    if report.ok:
        _verify_predictions(path, file, report, prediction_ot, normalized, predict, windows, reference_samples or {})
    return report


def _verify_manifest(archive: zipfile.ZipFile, file: EpochFile, report: VerifyReport, required: bool) -> None:
    manifest = file.manifest
    if manifest is None:
        if required:
            report.fail(f"{file.name}: member {MANIFEST} is missing")
        return
    listed = manifest.get("members") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict):
        report.fail(f"{file.name}: member {MANIFEST}: members must be an object")
        return
    present = set(file.members) - {MANIFEST}
    for missing in sorted(set(listed) - present):
        report.fail(f"{file.name}: member {missing} is listed in {MANIFEST} but missing from the zip")
    for extra in sorted(present - set(listed)):
        report.fail(f"{file.name}: member {extra} is not listed in {MANIFEST}")
    for member in sorted(present & set(listed)):
        digest = hashlib.sha256(read_member(archive, member, file.name)).hexdigest()
        if digest != (listed[member] or {}).get("sha256"):
            report.fail(
                f"{file.name}: member {member}: sha256 {digest} differs from {MANIFEST}'s (the file was altered)"
            )
    report.checks.append(f"sha256 of every member against {MANIFEST}")


def position_window(prediction_ot: np.ndarray, normalized: np.ndarray, t: int, lookback: int) -> np.ndarray | None:
    """The ``lookback`` normalised closes before the prediction candle open at ``t`` (its feature window)."""
    index = int(np.searchsorted(prediction_ot, t, "right")) - 1
    if index < lookback:
        return None
    return np.asarray(normalized[index - lookback : index], dtype=np.float64)


def _verify_predictions(
    path: Path,
    file: EpochFile,
    report: VerifyReport,
    prediction_ot: np.ndarray,
    normalized: np.ndarray,
    predict: Predictor,
    windows: int,
    samples: Mapping[str, Sequence[Mapping]],
) -> None:
    model = file.model_certificate["model"]
    order = [r["id"] for r in model["regressions"]]
    lookbacks = {r["id"]: int(r["lookback"]) for r in model["regressions"]}
    positions = file.model_certificate["backtest"]["positions"]
    picked = (
        [
            positions[int(i)]
            for i in np.unique(np.linspace(0, len(positions) - 1, min(windows, len(positions))).astype(int))
        ]
        if positions
        else []
    )
    inputs: dict[str, list] = {rid: [] for rid in order}
    used = []
    for position in picked:
        found = [position_window(prediction_ot, normalized, position["p"]["t"], lookbacks[rid]) for rid in order]
        row = [x for x in found if x is not None]
        if len(row) < len(found):
            report.fail(f"position at {position['p']['t']}: no input window in the epoch's candles")
            continue
        used.append(position)
        for rid, x in zip(order, row, strict=False):
            inputs[rid].append(x.tolist())
    for rid in order:
        inputs[rid].extend(list(s["x"]) for s in samples.get(rid, []))
    if not used and not samples:
        report.notes.append("the backtest has no position: no feature to compare")
        return
    outputs = predict(path, inputs)
    for j, position in enumerate(used):
        for i, rid in enumerate(order):
            window = inputs[rid][j]
            value, raw = feature(window[-1], float(outputs[rid][j][-1]))
            expected = float(position["p"]["f"][i])
            difference = abs(value - expected)
            report.features_compared += 1
            if difference <= FEATURE_STEP + 1e-12:
                report.largest_feature_difference = max(report.largest_feature_difference, difference)
            elif at_rounding_edge(raw):
                report.notes.append(
                    f"{rid} at {position['p']['t']}: raw change {raw!r}% sits on a 2-decimal rounding edge; feature {value} vs {expected}"
                )
            else:
                report.fail(
                    f"{rid}.h5: feature at {position['p']['t']} is {value}, the certificate says {expected} (beyond {FEATURE_STEP})"
                )
    for rid in order:
        for k, sample in enumerate(samples.get(rid, [])):
            got = np.asarray(outputs[rid][len(used) + k], dtype=np.float64)
            want = np.asarray(sample["predicted"], dtype=np.float64)
            difference = float(np.max(np.abs(got - want))) if got.shape == want.shape else math.inf
            report.raw_outputs_compared += 1
            report.largest_raw_difference = max(report.largest_raw_difference, difference)
            if difference > RAW_OUTPUT_TOLERANCE:
                report.fail(
                    f"{rid}.h5: raw outputs differ from the build's by {difference:.3g} (> {RAW_OUTPUT_TOLERANCE})"
                )
    report.checks.append(
        f"models loaded by Keras in a child process: {report.features_compared} features on {len(used)} positions "
        f"(tolerance {FEATURE_STEP}), {report.raw_outputs_compared} raw output windows (tolerance {RAW_OUTPUT_TOLERANCE})"
    )
