from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.template import Context, Template

from core.times import iso_utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1609848000000, "2021-01-05T12:00:00Z"),
        (1609848000000.0, "2021-01-05T12:00:00Z"),
        ("1609848000000", "2021-01-05T12:00:00Z"),
        (datetime(2021, 1, 5, 12, 0, 7, 900000, tzinfo=UTC), "2021-01-05T12:00:07Z"),
        (datetime(2021, 1, 5, 14, 0, tzinfo=timezone(timedelta(hours=2))), "2021-01-05T12:00:00Z"),
        (datetime(2021, 1, 5, 12, 0), "2021-01-05T12:00:00Z"),
        (date(2021, 1, 5), "2021-01-05"),
        (None, None),
        ("", None),
    ],
)
def test_iso_utc(value, expected):
    assert iso_utc(value) == expected


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_filter_is_a_builtin_of_every_template():
    moment = datetime(2021, 1, 5, 12, 0, tzinfo=UTC)
    assert _render("{{ t|iso_utc }} {{ ms|iso_utc }}", t=moment, ms=1609848000000) == (
        "2021-01-05T12:00:00Z 2021-01-05T12:00:00Z"
    )


def test_the_filter_shows_missing_values_and_leaves_unparsable_ones():
    assert _render("{{ t|iso_utc }}|{{ t|iso_utc:'never' }}|{{ s|iso_utc }}", t=None, s="soon") == "—|never|soon"


def test_ms_date_defaults_to_iso_and_keeps_an_explicit_format():
    rendered = _render("{% load charts %}{{ ms|ms_date }} {{ ms|ms_date:'%Y-%m' }}", ms=1609848000000)
    assert rendered == "2021-01-05T12:00:00Z 2021-01"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1720.8300000000017, "1720.83"), (0.0021345678, "0.002135"), (-1.0, "-1.00"), (0.0, "0.00"), (7, "7"), ("x", "x")],
)
def test_readable_rounds_floats_only(value, expected):
    assert _render("{{ v|readable }}", v=value) == expected
