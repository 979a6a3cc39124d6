from epoca_builder.api import router  # noqa: F401  (viewsets register here)
