from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Creditbox core"

    def ready(self):
        from . import signals

        signals.connect()

        from .api import authentication

        authentication.connect()
