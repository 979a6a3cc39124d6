from django.apps import AppConfig


class EpocaBuilderConfig(AppConfig):
    name = "epoca_builder"
    verbose_name = "Epoch Builder"
