"""The core admin: sealed audit blocks span every partner, so only platform staff see them."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from partners import roles

pytestmark = pytest.mark.django_db


def test_partner_staff_never_see_audit_blocks_even_with_the_view_permission(partner, make_user):
    auditor = make_user(partner, roles.AUDITOR)
    assert auditor.is_staff
    auditor.user_permissions.add(Permission.objects.get(content_type__app_label="core", codename="view_auditblock"))
    pages = Client()
    pages.force_login(auditor)
    assert pages.get("/admin/core/auditblock/").status_code == 403
    assert "auditblock" not in pages.get("/admin/").content.decode()


def test_platform_staff_with_the_view_permission_see_audit_blocks(make_user):
    platform = make_user(None, is_staff=True)
    platform.user_permissions.add(Permission.objects.get(content_type__app_label="core", codename="view_auditblock"))
    pages = Client()
    pages.force_login(platform)
    assert pages.get("/admin/core/auditblock/").status_code == 200
