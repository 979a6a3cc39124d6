"""The regression grid of an epoch: batches of training configs (ORIGINAL.md §3)."""

from django.db import models

from regressions.choices import Category

__all__ = ["CategoryField", "RegressionConfig", "TrainingBatch"]


class CategoryField(models.CharField):
    """A family's name or UNIT_TEST. Its choices follow the families' registry and stay out of
    the migrations (none records them), so a new family needs no migration."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 16)
        kwargs["choices"] = Category.choices
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, "django.db.models.CharField", args, kwargs


class TrainingBatch(models.Model):
    epoch = models.ForeignKey("epochs.Epoch", on_delete=models.CASCADE, related_name="batches")
    name = models.CharField(max_length=64, help_text="KR_<CATEGORY>_<n>_<total>, or KR_UNIT_TEST.")
    category = CategoryField()
    number = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    profile = models.CharField(max_length=64)
    config_file = models.CharField(max_length=500, help_text="The original's batch JSON, relative to the epoch folder.")
    batched_certificate_file = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch", "category", "number"]
        verbose_name_plural = "training batches"
        constraints = [models.UniqueConstraint(fields=["epoch", "name"], name="regressions_batch_unique_name")]

    def __str__(self) -> str:
        return self.name


class RegressionConfig(models.Model):
    # <template>_<32 hex>, derived from the epoch id, its data fingerprint and the config.
    id = models.CharField(primary_key=True, max_length=200)
    epoch = models.ForeignKey("epochs.Epoch", on_delete=models.CASCADE, related_name="regression_configs")
    batch = models.ForeignKey(TrainingBatch, on_delete=models.CASCADE, related_name="configs")
    position = models.PositiveIntegerField(help_text="Order inside the batch (after the seeded shuffle).")
    category = CategoryField(db_index=True)
    template = models.CharField(max_length=64, db_index=True)
    learning_rate = models.FloatField()
    loss = models.CharField(max_length=64)
    metric = models.CharField(max_length=64)
    config = models.JSONField(help_text="The training config exactly as in the batch file.")

    class Meta:
        ordering = ["batch", "position"]

    def __str__(self) -> str:
        return self.id
