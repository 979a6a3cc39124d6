from django.db import models


class RegressionStatus(models.TextChoices):
    PENDING = "pending", "Not trained"
    TRAINING = "training", "Training"
    TRAINED = "trained", "Trained"
    FAILED = "failed", "Failed"


class Category(models.TextChoices):
    CNN = "CNN"
    DNN = "DNN"
    CDNN = "CDNN"
    LSTM = "LSTM"
    CLSTM = "CLSTM"
    GRU = "GRU"
    UNIT_TEST = "UNIT_TEST"


class SelectionMode(models.TextChoices):
    TOP_N = "top_n", "Top N by the ranking"
    MANUAL = "manual", "Chosen by hand"
