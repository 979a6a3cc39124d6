"""Certificates and rows written while ``best_epoch`` was a 0-based index now count from 1."""
from pathlib import Path

from django.conf import settings
from django.db import migrations


def count_best_epoch_from_one(apps, schema_editor):
    from core.files import sha256_file
    from regressions.engine.certificate import correct_best_epoch_file

    Regression = apps.get_model("regressions", "Regression")
    TrainingBatch = apps.get_model("regressions", "TrainingBatch")
    root = Path(settings.EPOCHS_ROOT)
    for regression in Regression.objects.filter(status="trained"):
        path = root / regression.epoch_id / "regressions" / regression.config_id / "certificate.json"
        if not path.is_file():
            continue
        corrected = correct_best_epoch_file(path)
        if corrected is not None:
            Regression.objects.filter(pk=regression.pk).update(best_epoch=corrected, certificate_sha256=sha256_file(path))
    for batch in TrainingBatch.objects.exclude(batched_certificate_file=""):
        path = root / batch.epoch_id / batch.batched_certificate_file
        if path.is_file():
            correct_best_epoch_file(path)


class Migration(migrations.Migration):
    dependencies = [("regressions", "0001_initial")]

    operations = [migrations.RunPython(count_best_epoch_from_one, migrations.RunPython.noop)]
