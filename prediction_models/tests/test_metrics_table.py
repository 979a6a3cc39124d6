"""The metrics table feeds the model rows, the API, the filters and the pages' columns and rows."""

import pytest

from epochs.models import CandlestickSet, Epoch
from prediction_models.api.serializers import PredictionModelSerializer
from prediction_models.api.views import PredictionModelViewSet
from prediction_models.engine.metrics import (
    MODEL_METRICS,
    SORTABLE_COLUMNS,
    certificate_columns,
    profit_factor,
)
from prediction_models.filters import PredictionModelFilterSet
from prediction_models.models import PredictionModel
from prediction_models.templatetags.metric_tags import metric_cells, metric_rows, period_metrics
from prediction_models.views_workbench import COLUMNS
from prediction_models.workbench import SORTS, ModelListFilterSet
from testing.contract_certificates import certificate
from testing.prediction_model_fakes import backtest, fake_model, fake_search, position


def test_every_metric_is_a_column_of_the_model_row():
    for metric in MODEL_METRICS:
        field = PredictionModel._meta.get_field(metric.column)
        assert (field.null, field.db_index) == (metric.nullable, metric.indexed), metric.column
        assert field.get_internal_type() == ("PositiveIntegerField" if metric.digits is None else "FloatField")


def test_the_api_serializes_and_orders_by_every_metric():
    fields = PredictionModelSerializer.Meta.fields
    assert all(m.column in fields for m in MODEL_METRICS)
    assert list(PredictionModelViewSet.ordering_fields) == [*SORTABLE_COLUMNS, "rank", "created"]


def test_filters_sorts_and_headings_come_from_the_table():
    minimums = {f"min_{m.column}" for m in MODEL_METRICS if m.minimum_filter}
    assert minimums <= set(ModelListFilterSet.base_filters) and minimums <= set(PredictionModelFilterSet.base_filters)
    for name in minimums:
        assert ModelListFilterSet.base_filters[name].lookup_expr == "gte"
    assert set(SORTS) == {*SORTABLE_COLUMNS, "rank", "created"}
    from prediction_models.filters import ProfitableConfigFilterSet

    kept = {
        f"min_{m.column}" for m in MODEL_METRICS if m.minimum_filter and m.column in {"profit", "accuracy", "positions"}
    }
    assert kept == {"min_profit", "min_accuracy", "min_positions"} and kept <= set(
        ProfitableConfigFilterSet.base_filters
    )
    assert "min_ebe_points" not in ProfitableConfigFilterSet.base_filters
    assert [(m.column, m.heading) for m in MODEL_METRICS] == COLUMNS


def test_the_list_cells_follow_the_table():
    model = PredictionModel(
        id="X",
        profit=12.345,
        accuracy=60,
        positions=3,
        largest_drawdown=None,
        profit_factor=None,
        sharpe=1.5,
        ebe_points=7.25,
        ebe_state="decent",
        holdout_positions=None,
    )
    cells = metric_cells(model)
    assert [c["key"] for c in cells] == [m.column for m in MODEL_METRICS]
    by_key = {c["key"]: c for c in cells}
    assert by_key["profit"]["text"] == "12.35" and by_key["positions"]["text"] == "3"
    assert by_key["profit_factor"]["text"] == "∞" and by_key["profit_factor"]["title"] == "no losing position"
    assert by_key["largest_drawdown"]["text"] == "—" and by_key["holdout_positions"]["text"] == "—"
    assert by_key["ebe_points"]["css"] == "ebe ebe-decent"


def test_the_row_reads_the_certificates_keys_unchanged():
    cert = certificate()
    cert["metrics"] = {"sharpe_ratio": 1.25, "profit_factor": 2.0, "buy_and_hold_pct": -3.5}
    cert["backtest"]["profit"] = 42.0
    columns = certificate_columns(cert)
    assert columns["sharpe"] == 1.25 and columns["buy_and_hold"] == -3.5 and columns["profit_factor"] == 2.0
    assert columns["profit"] == 42.0 and columns["positions"] == 1 and columns["holdout_positions"] == 1
    assert columns["largest_drawdown"] == cert["backtest"]["largest_balance_drawdown"]
    assert certificate_columns({**cert, "holdout": None})["holdout_profit"] is None
    # A metric added after the certificate was written: its row keeps None; another key still must exist.
    assert columns["marked_drawdown"] is None
    cert["metrics"]["marked_drawdown_pct"] = -4.25
    assert certificate_columns(cert)["marked_drawdown"] == -4.25
    del cert["metrics"]["sharpe_ratio"]
    with pytest.raises(KeyError):
        certificate_columns(cert)


def test_profit_factor_is_none_without_a_loss():
    assert profit_factor(30, 10) == 3 and profit_factor(5, 0) is None


def test_the_search_kernel_compiles_the_tables_profit_factor():
    import math

    from prediction_models.engine.backtest.kernels import _profit_factor
    from prediction_models.engine.metrics import profit_factor_or_nan

    assert _profit_factor.py_func is profit_factor_or_nan
    assert _profit_factor(30.0, 10.0) == 3.0 and math.isnan(_profit_factor(5.0, 0.0))


@pytest.mark.django_db
def test_the_search_page_lists_its_models_in_the_tables_columns(client, make_user):
    epoch = Epoch.objects.create(
        id="_PMCOLUMNS", candlestick_set=CandlestickSet.objects.create(name="pmcolumns"), status="ready"
    )
    search = fake_search(epoch)
    never_lost = [position(1, 0, 30, True, 1010.0)]
    fake_model(epoch, search, 0, never_lost)
    client.force_login(make_user("viewer", "model-reader"))
    page = client.get(f"/prediction-models/searches/{search.pk}/").content.decode()
    for metric in MODEL_METRICS:
        assert f"<th>{metric.heading}</th>" in page, metric.heading
    assert '<td data-field="profit_factor" title="no losing position">∞</td>' in page
    assert '<td data-field="profit">10.00</td>' in page and '<td data-field="positions">1</td>' in page


def test_the_model_pages_period_rows_follow_the_table():
    mixed = [position(1, 0, 30, True, 1010.0), position(-1, 60, 90, False, 1000.0)]
    selection = {
        "backtest": backtest(mixed),
        "metrics": {"profit_factor": 2.5, "sharpe_ratio": None, "buy_and_hold_pct": -1.234},
    }
    holdout = {
        "backtest": backtest([]),
        "metrics": {"profit_factor": None, "sharpe_ratio": 0.5, "buy_and_hold_pct": 3.0},
    }
    rows = metric_rows([{"record": selection}, {"record": holdout}])
    in_a_period = [m for m in MODEL_METRICS if m.section in ("backtest", "metrics")]
    assert [(r["key"], r["label"]) for r in rows] == [(m.column, m.heading) for m in in_a_period]
    cells = {r["key"]: r["cells"] for r in rows}
    assert cells["profit_factor"] == ["2.50", "—"] and cells["sharpe"] == ["—", "0.50"]
    assert cells["positions"] == ["2", "0"] and cells["buy_and_hold"] == ["-1.23", "3.00"]
    assert cells["profit"] == ["0.00", "0.00"] and cells["largest_drawdown"] == ["-0.99", "0.00"]
    listed = period_metrics(selection)
    assert [(m["label"], m["text"]) for m in listed] == [(r["label"], r["cells"][0]) for r in rows]
    assert listed[[m["key"] for m in listed].index("profit_factor")]["slug"] == "profit-factor"


def test_the_search_filter_comes_from_the_search_minimums():
    from types import SimpleNamespace

    from prediction_models.api.serializers import SearchSerializer
    from prediction_models.engine.backtest import Thresholds
    from prediction_models.engine.metrics import SEARCH_MINIMUMS, search_filter_text
    from prediction_models.models import PredictionModelSearch
    from prediction_models.search_space import search_spec

    assert [b.name for b in SEARCH_MINIMUMS][:3] == ["min_accuracy", "min_profit", "min_positions"]
    for bound in SEARCH_MINIMUMS:
        field = PredictionModelSearch._meta.get_field(bound.name)
        assert field.null == (bound.default is None)
        assert (None if field.null else field.default) == bound.default and field.get_internal_type() == (
            "PositiveIntegerField" if bound.integer else "FloatField"
        )
        assert bound.name in SearchSerializer.Meta.fields
    assert (PredictionModelSearch().min_accuracy, PredictionModelSearch().min_positions) == (55.0, 30)
    search = SimpleNamespace(
        regression_ids=[],
        regressions_per_model=[4],
        price_change_requirements=[3],
        min_sum_functions=["mean"],
        min_sum_adjustment_factors=[1],
        min_accuracy=60,
        min_profit=-5,
        min_positions=12,
    )
    spec = search_spec(search, backtest={})
    assert (spec["min_accuracy"], spec["min_profit"], spec["min_positions"]) == (60.0, -5.0, 12)
    assert Thresholds() == Thresholds(min_accuracy=55.0, min_profit=0.0, min_positions=0)
    assert Thresholds(60, -5, 12) == Thresholds(min_accuracy=60, min_profit=-5, min_positions=12)
    assert search_filter_text(search) == "accuracy ≥ 60, profit > -5 and positions ≥ 12"
    with pytest.raises(TypeError):
        Thresholds(min_drawdown=1)
    # A bound of None is not applied (a bound added later: the searches made before it have none).
    assert Thresholds(0, None).accepts(50, -10, 0) and not Thresholds(0, 0).accepts(50, -10, 0)
    assert search_filter_text(SimpleNamespace(min_accuracy=1, min_profit=None, min_positions=2)) == (
        "accuracy ≥ 1 and positions ≥ 2"
    )


def test_a_forward_tests_cells_are_the_metrics_its_row_keeps():
    from prediction_models.models import ForwardTest
    from prediction_models.templatetags.metric_tags import forward_test_cells, forward_test_columns

    assert forward_test_columns() == ("profit", "accuracy", "positions", "buy_and_hold")
    cells = forward_test_cells(ForwardTest(profit=12.345, accuracy=None, positions=4, buy_and_hold=-1.0))
    assert [(c["key"], c["text"]) for c in cells] == [
        ("profit", "12.35"),
        ("accuracy", ""),
        ("positions", "4"),
        ("buy_and_hold", "-1.00"),
    ]
