from django.db import models

from regressions.engine.families import category_names


class RegressionStatus(models.TextChoices):
    PENDING = "pending", "Not trained"
    TRAINING = "training", "Training"
    TRAINED = "trained", "Trained"
    FAILED = "failed", "Failed"


# The families' names, then UNIT_TEST (`regressions.engine.families`); the labels are Django's
# defaults ("Cnn", "Unit Test").
Category = models.TextChoices("Category", [(name, name) for name in category_names()])


class SelectionMode(models.TextChoices):
    TOP_N = "top_n", "Top N by the ranking"
    MANUAL = "manual", "Chosen by hand"
