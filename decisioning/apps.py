from django.apps import AppConfig


class DecisioningConfig(AppConfig):
    name = "decisioning"
    verbose_name = "Decisioning"

    def ready(self):
        from . import plan_cache

        plan_cache.connect()
