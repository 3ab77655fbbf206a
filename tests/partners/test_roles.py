"""Each role's group carries exactly the permissions partners/roles.py lists (the one source)."""

import pytest
from django.contrib.auth.models import Group, Permission

from partners import roles

pytestmark = pytest.mark.django_db


def _installed(dotted_names):
    installed = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    return {name for name in dotted_names if name in installed}


@pytest.mark.parametrize("role", roles.ALL)
def test_each_role_group_carries_exactly_its_listed_permissions(role):
    group = Group.objects.get(name=role)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert granted == _installed(roles.PERMISSIONS[role])
    assert bool(granted) == (role in roles.ADMIN_ROLES)


def test_no_role_may_change_the_shared_dictionary_or_people_outside_partner_admin():
    for role in roles.ALL:
        assert "modelregistry.change_datadictionaryfield" not in roles.PERMISSIONS[role]
        assert not any(name.startswith("auth.") for name in roles.PERMISSIONS[role])
        if role != roles.PARTNER_ADMIN:
            assert not any(name.startswith("partners.") for name in roles.PERMISSIONS[role])


def test_syncing_again_changes_nothing_and_restores_a_tampered_group():
    editor = Group.objects.get(name=roles.RULE_EDITOR)
    editor.permissions.add(Permission.objects.get(codename="change_datadictionaryfield"))
    roles.sync_role_permissions(Group, Permission)
    roles.sync_role_permissions(Group, Permission)
    assert not editor.permissions.filter(codename="change_datadictionaryfield").exists()
    assert editor.permissions.filter(codename="add_predictivemodel").exists()
