from django.apps import AppConfig


class BatchPredictionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "batchpredictions"
    verbose_name = "Batch predictions"
