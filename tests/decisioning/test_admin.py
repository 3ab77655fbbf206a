"""The admin's evaluation records follow the same read rule as the API."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from decisioning.models import InsightTransaction
from partners import roles
from tests.test_api_access import INSIGHTS_READ_BY, build_side

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", roles.ALL)
def test_partner_staff_see_in_the_admin_only_the_evaluations_they_may_read(role, partner, other_partner, dictionary):
    own, _ = build_side(partner), build_side(other_partner)
    user = own["people"][role]
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_insighttransaction"))
    client = Client()
    client.force_login(user)

    response = client.get("/admin/decisioning/insighttransaction/")
    assert response.status_code == 200
    shown = {str(record.pk) for record in response.context["cl"].result_list}
    names = {str(value): name for name, value in own["ids"].items()}
    assert {names.get(pk, pk) for pk in shown} == {
        name for name, readers in INSIGHTS_READ_BY.items() if role in readers
    }
    assert InsightTransaction.objects.count() == 6  # three at each partner
