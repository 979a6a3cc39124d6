from django.db import migrations
from django.db.models import Q


def rescore(apps, schema_editor):
    """Score again the regressions whose accuracies of at most 1 % were once read as shares (90 % for 0.9)."""
    import json
    from pathlib import Path

    from django.conf import settings

    from regressions.engine.ebe import regression_evaluation

    Regression = apps.get_model("regressions", "Regression")
    low = Q(accuracy__lte=1) | Q(increase_accuracy__lte=1) | Q(decrease_accuracy__lte=1)
    for regression in Regression.objects.filter(low, status="trained").iterator():
        path = Path(settings.EPOCHS_ROOT) / regression.epoch_id / "regressions" / regression.config_id / "certificate.json"
        if path.exists():
            ebe = regression_evaluation(json.loads(path.read_text()))
            Regression.objects.filter(pk=regression.pk).update(ebe_points=ebe["points"], ebe_state=ebe["state"])


class Migration(migrations.Migration):
    dependencies = [
        ("regressions", "0005_category_choices_from_the_families"),
    ]

    operations = [migrations.RunPython(rescore, migrations.RunPython.noop)]
