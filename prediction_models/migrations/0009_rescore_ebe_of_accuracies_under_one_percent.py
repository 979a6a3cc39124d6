import json

from django.db import migrations

ACCURACIES = ("accuracy", "increase_accuracy", "decrease_accuracy")


def rescore(apps, schema_editor):
    """Score again the built models whose backtest accuracies of at most 1 % were once read as
    shares (full marks for 0.9 %); a model whose certificate cannot be read is left as it is."""
    from epochs.services.paths import epoch_dir
    from prediction_models.engine.ebe import prediction_model_evaluation

    PredictionModel = apps.get_model("prediction_models", "PredictionModel")
    for model in PredictionModel.objects.select_related("search").iterator():
        try:
            cert = json.loads((epoch_dir(model.search.epoch_id) / model.certificate_file).read_text())
            low = any(cert["backtest"][name] <= 1 for name in ACCURACIES)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if low:
            ebe = prediction_model_evaluation(cert)
            PredictionModel.objects.filter(pk=model.pk).update(ebe_points=ebe["points"], ebe_state=ebe["state"])


class Migration(migrations.Migration):
    dependencies = [
        ("prediction_models", "0008_model_discovery_points_and_accuracy"),
    ]

    operations = [migrations.RunPython(rescore, migrations.RunPython.noop)]
