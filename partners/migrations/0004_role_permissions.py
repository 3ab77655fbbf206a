"""Each role's group carries the Django permissions its work needs (lists: partners/roles.py)."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

from partners.roles import sync_role_permissions


def grant(apps, schema_editor):
    # On a fresh database permissions are only created after all migrations; create those of the
    # models migrated so far now. Models of apps migrated later (and of apps added later, such as
    # rulesets) get theirs from the post_migrate sync in partners/apps.py, from the same lists.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_permissions(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
