from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_role_permissions(sender, **kwargs):
    # Once per migrate (or flush), after the last app has created its permissions.
    if sender.label != list(apps.get_app_configs())[-1].label:
        return
    from django.contrib.auth.models import Group, Permission

    from .roles import sync_role_permissions

    sync_role_permissions(Group, Permission)


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners and people"

    def ready(self):
        post_migrate.connect(_sync_role_permissions, dispatch_uid="partners.sync_role_permissions")
