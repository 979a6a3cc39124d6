"""The Regressions page's batch rows say "n / m regressions" trained, batch by batch."""

import re

import pytest
from django.utils.html import strip_tags

from regressions.models import TrainingBatch
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.django_db


def test_each_batch_row_says_how_many_of_its_regressions_are_trained(admin_client):
    epoch = fake_grid_epoch("_BATCHROWS", profile="smoke", untrained=3)
    html = admin_client.get(f"/regressions/?epoch={epoch.id}").content.decode()
    cells = {
        int(pk): strip_tags(text).strip()
        for pk, text in re.findall(r'<tr data-batch="(\d+)">.*?<td data-field="trained">(.*?)</td>', html, re.S)
    }
    batches = TrainingBatch.objects.filter(epoch=epoch).order_by("category", "number")
    assert set(cells) == {b.pk for b in batches}
    expected = {
        b.pk: f"{b.configs.filter(regression__status='trained').count()} / {b.configs.count()} regressions"
        for b in batches
    }
    assert cells == expected
    # The last batch holds the untrained configs: not every row is complete.
    assert any(not re.match(r"^(\d+) / \1 regressions$", text) for text in cells.values())
