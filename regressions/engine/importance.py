"""Which hyper-parameters matter: a random forest fitted on the grid's results, scored by permutation importance.

scikit-learn does the work (``RandomForestRegressor`` and ``inspection.permutation_importance``);
this module only turns hyper-parameter rows into numbers. Categorical values (network, loss,
optimizer, activations) are one ordinal code each, which trees split on freely.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import permutation_importance

MIN_ROWS = 10


def _codes(values: Sequence) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        labels = {v: i for i, v in enumerate(sorted(set(map(str, values))))}
        return np.asarray([labels[str(v)] for v in values], dtype=float)


def importances(
    rows: Sequence[Mapping[str, object]], features: Sequence[str], target: str, *, seed: int = 0
) -> list[dict]:
    """Each feature's mean drop in R² when its values are shuffled (with its spread), highest first.

    Returns [] when fewer than ``MIN_ROWS`` rows have a target value.
    """
    rows = [r for r in rows if r.get(target) is not None]
    if len(rows) < MIN_ROWS:
        return []
    x = np.column_stack([_codes([r[f] for r in rows]) for f in features])
    y = np.asarray([r[target] for r in rows], dtype=float)
    forest = RandomForestRegressor(n_estimators=60, min_samples_leaf=3, random_state=seed, n_jobs=1).fit(x, y)
    result = permutation_importance(forest, x, y, n_repeats=5, random_state=seed, n_jobs=1)
    ranked = sorted(zip(features, result.importances_mean, result.importances_std, strict=False), key=lambda t: -t[1])
    return [{"feature": f, "importance": round(float(m), 4), "std": round(float(s), 4)} for f, m, s in ranked]
