import csv
import json

from django.core.management.base import BaseCommand

from decisioning.demo import DEMO_DIR, demo_load


class Command(BaseCommand):
    help = "Load the demo partner, its people, the Lending Club dictionary, models and rules; print how to call the API."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url, **options):
        demo = demo_load()
        write = self.stdout.write
        write(self.style.SUCCESS(f"Loaded the demo partner {demo['partner']}."))
        write("\nPeople (username: password — shown once; log in at " + base_url + "/admin/ or /review/):")
        for role, (user, password) in demo["people"].items():
            write(f"  {user.username:<24} {password or '(unchanged since the last load)'}   role: {role}")
        with open(DEMO_DIR / "data" / "lending_club_modeldata.csv", newline="") as handle:
            row = next(csv.DictReader(handle))
        from decisioning.demo import source_column_mapping

        mapping = source_column_mapping()
        fields = {f.name for f in demo["logistic"].fields.filter(field_type="argument")}
        arguments = {}
        for column, value in row.items():
            if column in fields:
                concept = mapping[column]
                from modelregistry.models import DataDictionaryField

                data_type = DataDictionaryField.objects.get(name=concept).data_type
                arguments[concept] = (
                    float(value) if data_type == "number" else int(float(value)) if data_type == "integer" else value
                )
        token, header = demo["token"], "-H 'Content-Type: application/vnd.api+json'"
        document = {"data": {"type": "insight", "attributes": {"modelId": str(demo["logistic"].pk), "arguments": arguments}}}
        write("\nThe partner system's API token: " + token)
        write("\n1. The model's fields (data-dictionary names in supportedFieldName):\n")
        write(f"curl -s {base_url}/api/v1/predictive-models/{demo['logistic'].pk}/fields -H 'Authorization: Token {token}'\n")
        write("2. Evaluate it:\n")
        write(f"curl -s -X POST {base_url}/api/v1/insights -H 'Authorization: Token {token}' {header} \\\n  -d '{json.dumps(document)}'\n")
        knockout_document = {"data": {"type": "insight", "attributes": {"modelId": str(demo["knockout"].pk), "arguments": {
            f.supported_field.name: 0 for f in demo["knockout"].fields.filter(field_type="argument").select_related("supported_field")
        }}}}
        write("3. The knock-out rules (DMN), the same way:\n")
        write(f"curl -s -X POST {base_url}/api/v1/insights -H 'Authorization: Token {token}' {header} \\\n  -d '{json.dumps(knockout_document)}'\n")
        write(f"API documentation: {base_url}/api/docs/")
