"""The fast engine against the line-by-line reference: on real candles and on hand-made cases."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prediction_models.engine import backtest as fast
from prediction_models.engine import backtest_reference as reference
from prediction_models.engine.assets import Candles, PredictionModelAssets, build_assets
from prediction_models.engine.config_space import ConfigSpace
from prediction_models.engine.discovery import discover
from prediction_models.engine.median import BUCKETS
from prediction_models.engine.trading import BacktestSettings
from testing.market_data import load_month, resample, synthetic_features, to_candles

LOOKBACK, STEPS = 32, 8


@pytest.fixture(scope="module")
def real_assets():
    minutes = load_month(2022, 6).iloc[: 21 * 1440].reset_index(drop=True)
    minutes = minutes.drop(index=range(9000, 9400)).reset_index(drop=True)  # gap of 400 minutes
    predictions = resample(minutes, 15)
    features = synthetic_features(predictions.c.to_numpy(), LOOKBACK, STEPS, 8, seed=5)
    return build_assets(
        predictions=to_candles(predictions),
        minutes=to_candles(minutes),
        features=features,
        lookback=LOOKBACK,
        forecast_steps=STEPS,
        pcrs=(1, 2),
    )


def both(assets, ids, pcr, msf, msaf, trading):
    expected = reference.evaluate(assets, ids, pcr, msf, msaf, trading)
    actual = fast.backtest_record(assets, ids, pcr, msf, msaf, trading)
    return expected, actual


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    combination=st.lists(st.integers(0, 7), min_size=4, max_size=4, unique=True),
    pcr=st.sampled_from([1, 2]),
    msf=st.sampled_from(["mean", "median"]),
    msaf=st.sampled_from([0.5, 1, 1.5, 2]),
    idle=st.sampled_from([0, 15, 180]),
    position_size=st.sampled_from([10000, 2500]),
    leverage=st.sampled_from([2, 5, 20]),
)
def test_fast_record_equals_reference_on_real_candles(
    real_assets, combination, pcr, msf, msaf, idle, position_size, leverage
):
    ids = [real_assets.regression_ids[i] for i in sorted(combination)]
    trading = BacktestSettings(position_size=position_size, leverage=leverage, idle_minutes=idle)
    expected, actual = both(real_assets, ids, pcr, msf, msaf, trading)
    assert actual == expected


def test_search_summaries_equal_reference(real_assets):
    space = ConfigSpace(real_assets.regression_ids, 4, pcrs=(1, 2), msafs=(1, 2))
    trading = BacktestSettings(idle_minutes=30)
    summary = fast.evaluate_chunk(real_assets, space, 13, 13 + 3 * space.variants, trading)
    assert summary["index"].tolist() == list(range(13, 13 + 3 * space.variants))
    positions = 0
    for row in summary[::5]:
        config = space.config(int(row["index"]))
        ids = [space.regression_ids[i] for i in config.combination]
        _, performance, (min_inc, min_dec) = reference.evaluate(
            real_assets, ids, config.pcr, config.msf, config.msaf, trading
        )
        positions += len(performance["positions"])
        assert (
            row["profit"],
            row["fees"],
            row["accuracy"],
            row["positions"],
            row["min_increase_sum"],
            row["min_decrease_sum"],
            row["largest_balance_drawdown"],
        ) == (
            performance["profit"],
            performance["fees"],
            performance["accuracy"],
            len(performance["positions"]),
            min_inc,
            min_dec,
            performance["largest_balance_drawdown"],
        )
    assert positions > 0
    found = fast.search_chunk(real_assets, space, 13, 13 + 3 * space.variants, fast.Thresholds(0, -1e18), trading)
    assert [i for i, _ in found] == summary["index"].tolist()


def test_successful_stats_equal_the_discovery_on_real_candles(real_assets):
    labels = real_assets.labels[1.0]
    f = real_assets.features_num
    buffers = [np.empty(f) for _ in range(3)] + [np.empty(BUCKETS, np.int64)]
    for size in (1, 2, 3, 5, 8):
        for first in range(0, 8 - size + 1, 2):
            ids = real_assets.regression_ids[first : first + size]
            s = fast.feature_sums_array(real_assets, ids)
            discovery = discover(s, labels)  # np.mean / np.median of the lists
            expected = tuple(
                discovery[f"{side}_successful_{stat}"]
                for side in ("increase", "decrease")
                for stat in ("mean", "median")
            )
            assert fast._successful_stats(s, labels, *buffers) == expected, ids


def test_every_variant_of_a_chunk_equals_its_single_config_record(real_assets):
    # the search shares candidates between variants; the single-config path does not
    space = ConfigSpace(real_assets.regression_ids, 5, pcrs=(1, 2), msfs=("mean", "median"), msafs=(0.5, 1, 2))
    trading = BacktestSettings(idle_minutes=60, leverage=5)
    start = 20 * space.variants + 3
    summary = fast.evaluate_chunk(real_assets, space, start, start + 6 * space.variants, trading)
    assert summary["positions"].sum() > 0
    markets = {p: fast.Market.build(real_assets, p) for p in (1, 2)}
    for row in summary:
        config = space.config(int(row["index"]))
        ids = [space.regression_ids[i] for i in config.combination]
        _, performance, min_sums = fast.backtest_record(
            real_assets, ids, config.pcr, config.msf, config.msaf, trading, markets[config.pcr]
        )
        assert (
            row["profit"],
            row["positions"],
            row["accuracy"],
            row["largest_balance_drawdown"],
            (row["min_increase_sum"], row["min_decrease_sum"]),
        ) == (
            performance["profit"],
            len(performance["positions"]),
            performance["accuracy"],
            performance["largest_balance_drawdown"],
            min_sums,
        ), config


def test_search_stops_between_steps_on_request(real_assets):
    space = ConfigSpace(real_assets.regression_ids, 4, pcrs=(2,), msafs=(1,))
    trading = BacktestSettings(idle_minutes=30)
    everything = fast.search_chunk(real_assets, space, 0, 40, None, trading, step=10)
    asked = []
    with pytest.raises(fast.SearchCancelled, match="before config 20") as stopped:
        fast.search_chunk(
            real_assets, space, 0, 40, None, trading, step=10, should_stop=lambda: asked.append(1) or len(asked) > 2
        )
    assert stopped.value.next_index == 20
    assert stopped.value.found == everything[:20]


# ------------------------------------------------------------------ hand-made cases
#
# One feature index per 3 minutes (prediction candles of 3 minutes), lookback 6, prices around
# 100 so that a 3 % requirement means 103 / 97.

MINUTE = 60_000


def make_assets(prices, sums, *, labels=None, missing=()):
    """Minutes from (o, h, l) triples; one regression whose features are ``sums``."""
    rows = [(i * MINUTE, i * MINUTE + MINUTE - 1, o, h, l, o) for i, (o, h, l) in enumerate(prices) if i not in missing]
    ot, ct, o, h, l, c = (np.array(col) for col in zip(*rows, strict=False))
    minutes = Candles.from_arrays("hand-made", ot, ct, o, h, l, c)
    k = (ot // (3 * MINUTE)).astype(np.int64)
    features = np.array([sums], dtype=np.float64)
    labels = np.array(labels if labels is not None else [1, -1] * (len(sums) // 2), dtype=np.int8)
    return PredictionModelAssets(("KR_HAND",), features, {3.0: labels}, minutes, k)


RISING = [0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97]  # long from k = 6 on


def run(assets, idle=0, position_size=10000, msaf=1):
    trading = BacktestSettings(position_size=position_size, idle_minutes=idle)
    expected, actual = both(assets, ["KR_HAND"], 3, "mean", msaf, trading)
    assert actual == expected
    return expected[1]


def flat(n):
    return [(100.0, 100.5, 99.5)] * n


def test_stop_loss_and_take_profit_in_the_same_minute_is_a_loss():
    prices = [*flat(19), (100.0, 104.0, 96.0), *flat(16)]
    first = run(make_assets(prices, RISING))["positions"][0]
    assert (first["t"], first["ot"], first["ct"], first["o"], first["cp"]) == (
        1,
        18 * MINUTE,
        20 * MINUTE - 1,
        False,
        97.0,
    )


def test_the_opening_minute_is_never_checked():
    prices = [*flat(18), (100.0, 104.0, 99.0), (100.0, 100.5, 99.5), (100.0, 103.5, 99.0), *flat(15)]
    first = run(make_assets(prices, RISING))["positions"][0]
    assert (first["ot"], first["ct"], first["o"], first["cp"]) == (18 * MINUTE, 21 * MINUTE - 1, True, 103.0)


def test_no_entry_during_idle_time():
    hit = (100.0, 103.5, 99.5)
    prices = [*flat(19), hit, *flat(8), hit, *flat(7)]
    first, second = run(make_assets(prices, RISING), idle=5)["positions"][:2]
    assert first["ct"] == 20 * MINUTE - 1
    assert second["ot"] == 25 * MINUTE  # the first minute with ot >= ct + 5 minutes


def test_balance_floor_stops_trading():
    crash = [(100.0, 100.5, 96.0)] * 18  # every position loses
    balances = [p["b"] for p in run(make_assets(flat(18) + crash, RISING))["positions"]]
    assert len(balances) == 6  # 15000 - 6 * 938.415 < 10000 only after the sixth loss
    assert balances[-1] < 10000 <= balances[-2]


def test_position_open_at_the_end_is_discarded():
    performance = run(make_assets(flat(36), RISING))
    assert performance["positions"] == [] and performance["profit"] == 0


def test_gap_in_the_minutes_moves_the_entry_to_the_next_existing_minute():
    prices = [*flat(24), (100.0, 103.5, 99.5), *flat(11)]
    performance = run(make_assets(prices, RISING, missing={18, 19, 20}))
    assert performance["positions"][0]["ot"] == 21 * MINUTE


@pytest.mark.parametrize("last, sides", [(1.04, [1]), (1.03, [])])
def test_intensity_threshold_uses_rounded_alter(last, sides):
    # at k = 11: a = 1.0, alter(1.0, +4) = 1.04, so 1.04 has intensity 1 (long) and 1.03 has 0
    sums = [0.5, 0.5, 0.5, 1.02, 1.02, 1.02, 1.0, 1.01, 1.015, 1.02, 1.025, last]
    prices = flat(34) + [(100.0, 103.5, 99.5)] * 2
    performance = run(make_assets(prices, sums, labels=[1] * 12), msaf=0.1)
    assert [p["t"] for p in performance["positions"]] == sides
