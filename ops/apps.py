from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the site: backup and restore, synthetic data at the design's size,
    the benchmark and the load test."""

    name = "ops"
    verbose_name = "Operations"
