from django.db import models


class SearchStatus(models.TextChoices):
    NEW = "new", "New"
    INITIALISING = "initialising", "Building assets"
    READY = "ready", "Assets ready"
    SEARCHING = "searching", "Searching"
    SEARCHED = "searched", "Searched"
    BUILT = "built", "Built"
    FAILED = "failed", "Failed"


class ForwardTestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
