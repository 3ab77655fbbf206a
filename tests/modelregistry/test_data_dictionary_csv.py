import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from modelregistry.models import DataDictionaryField
from partners import roles

pytestmark = pytest.mark.django_db

NEW_ENTRIES = (
    "name,data_type,label,unit,display_format,allowed_values,value_labels,minimum,maximum\n"
    "monthlyNetSalary,number,Monthly net salary,EUR,currency,,,0,1000000\n"
    "housingStatus,string,Housing,,enumeration,own|rent,own=Owns a home|rent=Rents,,\n"
)


def post_csv(client, text):
    return client.client.post(
        "/api/v1/data-dictionary", data=text, content_type="text/csv", HTTP_ACCEPT="application/vnd.api+json"
    )


def test_a_data_scientist_adds_entries_by_csv_and_reads_them_back(api_as, partner, make_user, dictionary):
    client = api_as(make_user(partner, roles.DATA_SCIENTIST))
    response = post_csv(client, NEW_ENTRIES)
    assert response.status_code == 200, response.content
    salary = DataDictionaryField.objects.get(name="monthlyNetSalary")
    assert (salary.label, salary.unit, salary.display_format, salary.maximum) == (
        "Monthly net salary",
        "EUR",
        "currency",
        1e6,
    )
    assert DataDictionaryField.objects.get(name="housingStatus").value_labels == {"own": "Owns a home", "rent": "Rents"}
    exported = client.get("/api/v1/data-dictionary")
    assert exported["Content-Type"].startswith("text/csv")
    assert "monthlyNetSalary,number,Monthly net salary,,EUR,currency,,,0,1000000,false" in exported.content.decode()


def test_row_errors_name_row_and_column_and_nothing_is_half_imported(api_as, partner, make_user, dictionary):
    client = api_as(make_user(partner, roles.PARTNER_ADMIN))
    text = NEW_ENTRIES + "Bad Name,number,,,,,,,\nannualIncome,string,,,,,,,\nlimit,number,,,,,,ten,\n"
    response = post_csv(client, text)
    assert response.status_code == 400
    pointers = {error["source"]["pointer"] for error in response.json()["errors"]}
    assert pointers == {
        "/data/attributes/rows/4/name",
        "/data/attributes/rows/5/data_type",
        "/data/attributes/rows/6/minimum",
    }
    assert not DataDictionaryField.objects.filter(name="monthlyNetSalary").exists()


def test_a_type_or_format_that_is_not_a_choice_names_the_choices(api_as, partner, make_user):
    client = api_as(make_user(partner, roles.PARTNER_ADMIN))
    response = post_csv(client, "name,data_type,display_format\nloanSize,colour,\nrate,number,fraction\n")
    assert response.status_code == 400
    details = {error["source"]["pointer"]: error["detail"] for error in response.json()["errors"]}
    assert details == {
        "/data/attributes/rows/2/data_type": "'colour' is not one of number, integer, boolean, string, date, list, object.",
        "/data/attributes/rows/3/display_format": "'fraction' is not one of currency, percent, number, enumeration, text.",
    }


def test_a_partner_never_changes_an_existing_entry(api_as, partner, make_user, dictionary):
    client = api_as(make_user(partner, roles.DATA_SCIENTIST))
    before = DataDictionaryField.objects.get(name="annualIncome")
    response = post_csv(client, "name,data_type,label\nannualIncome,number,Something else\n")
    assert response.status_code == 200
    assert response.json()["data"]["unchanged"] == ["annualIncome"]
    assert DataDictionaryField.objects.get(name="annualIncome").label == before.label


def test_underwriters_may_read_but_not_import(api_as, partner, make_user, dictionary):
    client = api_as(make_user(partner, roles.UNDERWRITER))
    assert client.get("/api/v1/data-dictionary").status_code == 200
    assert post_csv(client, NEW_ENTRIES).status_code == 403


def test_commands_import_and_export(tmp_path, partner, make_user, dictionary, capsys):
    admin = make_user(partner, roles.PARTNER_ADMIN)
    path = tmp_path / "entries.csv"
    path.write_text(NEW_ENTRIES)
    call_command("import_data_dictionary", str(path), as_user=admin.username)
    assert "created 2" in capsys.readouterr().out
    path.write_text("name,data_type\nannualIncome,string\n")
    with pytest.raises(CommandError, match="rows/2/data_type"):
        call_command("import_data_dictionary", str(path), as_user=admin.username)
    call_command("export_data_dictionary")
    assert "housingStatus,string,Housing" in capsys.readouterr().out


def test_a_superuser_imports_and_exports_in_the_admin(dictionary):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from partners.models import User

    client = Client()
    client.force_login(User.objects.create_superuser(username="root", password="x" * 24))
    refused = client.post(
        "/admin/modelregistry/datadictionaryfield/import/",
        {"file": SimpleUploadedFile("d.csv", b"name,data_type\nannualIncome,string\n")},
    )
    assert refused.status_code == 200 and "row 2, data_type" in refused.content.decode()
    done = client.post(
        "/admin/modelregistry/datadictionaryfield/import/", {"file": SimpleUploadedFile("d.csv", NEW_ENTRIES.encode())}
    )
    assert done.status_code == 302 and DataDictionaryField.objects.filter(name="housingStatus").exists()
    ids = list(DataDictionaryField.objects.filter(name="housingStatus").values_list("pk", flat=True))
    exported = client.post(
        "/admin/modelregistry/datadictionaryfield/", {"action": "export_csv", "_selected_action": ids}
    )
    assert exported.content.decode().splitlines()[1].startswith("housingStatus,string,Housing")
