"""``{% data_table %}``: nested results as tables and lists, rounded numbers, escaped text, no repr."""

from django.template import Context, Template

RESULT = {
    "epoch": "_DEMO1",
    "profit": 1720.8300000000017,
    "verified": True,
    "sha256": None,
    "regression_ids": ["3f2a", "9b1c", "77de"],
    "verdict": [
        {"check": "holdout_profit", "passed": True, "value": 12.5},
        {"check": "spa_pvalue_flat", "passed": False, "threshold": "<= 0.05"},
    ],
    "nested": {"per_category": {"UP": 3, "DOWN": 4}},
    "note": "<script>alert(1)</script>",
}


def _render(value) -> str:
    return Template("{% load data_tables %}{% data_table value %}").render(Context({"value": value}))


def test_a_nested_result_is_tables_and_lists_never_a_repr():
    html = _render(RESULT)
    assert "{'" not in html and "[" not in html and "True" not in html and "None" not in html
    assert "<th>epoch</th><td>_DEMO1</td>" in html
    assert "<td>1,720.83</td>" in html and "<td>yes</td>" in html and "<th>sha256</th><td>—</td>" in html
    assert "<td>3f2a, 9b1c, 77de</td>" in html
    # A list of dicts is one table: a column per key, a dash where a row has none.
    assert "<thead><tr><th>check</th><th>passed</th><th>value</th><th>threshold</th></tr></thead>" in html
    assert "<tr><td>spa_pvalue_flat</td><td>no</td><td>—</td><td>&lt;= 0.05</td></tr>" in html
    assert "<th>per_category</th><td><table" in html and "<th>DOWN</th><td>4</td>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_long_lists_are_cut_and_say_how_many_more():
    html = _render({"ids": list(range(80))})
    assert "0, 1, 2" in html and ", 49" in html and ", 50" not in html and "… and 30 more" in html


def test_empty_values_are_a_dash():
    assert _render({}) == "—" and _render(None) == "—" and _render([]) == "—"


def test_durations_read_in_the_largest_units_that_matter():
    from datetime import UTC, datetime, timedelta

    from core.templatetags.durations import duration, duration_text

    assert [duration_text(s) for s in (0, 55, 723, 7_500, 277_200)] == [
        "0 s",
        "55 s",
        "12 min 03 s",
        "2 h 05 min",
        "3 d 05 h",
    ]
    start = datetime(2021, 1, 5, 12, tzinfo=UTC)
    assert duration(start, start + timedelta(minutes=3)) == "3 min 00 s" and duration(None) == "—"
