"""Search and forward-test status transitions: conditional updates that say whether they applied."""

import pytest

from core.errors import ApplicationError
from epochs.choices import EpochStatus
from epochs.models import CandlestickSet, Epoch
from prediction_models.choices import ForwardTestStatus, SearchStatus
from prediction_models.models import ForwardTest, PredictionModelSearch
from prediction_models.services.search import search_assets_run
from regressions.models import RegressionSelection
from testing.prediction_model_fakes import fake_model, fake_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def epoch():
    candles = CandlestickSet.objects.create(name="pm-transitions")
    return Epoch.objects.create(
        id="_PMTRANSITIONS", candlestick_set=candles, status=EpochStatus.READY, prediction_rows=4000
    )


@pytest.fixture
def search(epoch):
    selection = RegressionSelection.objects.create(epoch=epoch, name="transitions", mode="manual", size=0)
    return PredictionModelSearch.objects.create(epoch=epoch, selection=selection)


def _stored(search):
    return PredictionModelSearch.objects.values_list("status", flat=True).get(pk=search.pk)


def test_a_search_moves_only_along_its_transitions(search):
    assert search.status == SearchStatus.NEW
    assert search.mark_searching() is False and search.mark_searched() is False and search.mark_built() is False
    assert _stored(search) == SearchStatus.NEW
    assert search.mark_initialising() is True
    assert search.mark_ready(assets_sha256="b" * 64) is True
    assert PredictionModelSearch.objects.values_list("status", "assets_sha256").get(pk=search.pk) == (
        SearchStatus.READY,
        "b" * 64,
    )
    assert search.mark_failed(error="late") is False  # only an initialisation fails a search
    assert search.mark_searching() is True and search.mark_searched() is True and search.mark_built() is True
    assert search.mark_built() is True  # building again keeps it built
    assert search.mark_initialising() is False and _stored(search) == SearchStatus.BUILT


def test_of_two_racing_chunks_only_one_starts_the_search(search):
    search.mark_initialising()
    search.mark_ready(assets_sha256="c" * 64)
    first, second = (PredictionModelSearch.objects.get(pk=search.pk) for _ in range(2))
    assert first.mark_searching() is True
    assert second.mark_searching() is False and _stored(search) == SearchStatus.SEARCHING


def test_a_searched_search_keeps_its_assets(search):
    search.mark_initialising()
    search.mark_ready(assets_sha256="d" * 64)
    search.mark_searched()
    predicted = []
    with pytest.raises(ApplicationError, match="searched: its assets stay"):
        search_assets_run(search=search, predict_features=predicted.append)
    assert predicted == [] and _stored(search) == SearchStatus.SEARCHED


def test_a_refused_initialisation_marks_the_search_failed(search):
    def refuse(argv):
        raise ApplicationError("the features could not be predicted")

    with pytest.raises(ApplicationError):
        search_assets_run(search=search, predict_features=refuse)
    assert PredictionModelSearch.objects.values_list("status", "error").get(pk=search.pk) == (
        SearchStatus.FAILED,
        "the features could not be predicted",
    )


def test_a_done_forward_test_keeps_its_record(epoch):
    model = fake_model(epoch, fake_search(epoch), 0, [])
    row = ForwardTest.objects.create(prediction_model=model, start=0, end=1)
    assert row.mark_done(profit=12.5, decisions=3) is True
    assert row.mark_failed(error="a late failure") is False
    assert row.mark_done(profit=-1.0) is False
    assert ForwardTest.objects.values_list("status", "profit", "decisions", "error").get(pk=row.pk) == (
        ForwardTestStatus.DONE,
        12.5,
        3,
        "",
    )
