import json

from django.core.management.base import BaseCommand

from decisioning.demo import demo_load, example_arguments


class Command(BaseCommand):
    help = "Load the demo partner, its people, the Lending Club dictionary, models and rules; print how to call the API."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url, **options):
        demo = demo_load()
        write = self.stdout.write
        write(self.style.SUCCESS(f"Loaded the demo partner {demo['partner']}."))
        write("\nPeople (username: password, shown once; log in at " + base_url + "/admin/ or /review/):")
        for role, (user, password) in demo["people"].items():
            write(f"  {user.username:<24} {password or '(unchanged since the last load)'}   role: {role}")
        token = demo["token"]
        auth = f"-H 'Authorization: Token {token}'"
        content = "-H 'Content-Type: application/vnd.api+json'"
        write("\nThe partner system's API token (shown once): " + token)
        for number, (title, model) in enumerate(
            (("the logistic PD model (PMML)", demo["logistic"]), ("the knock-out rules (DMN)", demo["knockout"])), start=1
        ):
            document = {"data": {"type": "insight", "attributes": {
                "modelId": str(model.pk), "arguments": example_arguments(model)}}}
            write(f"\n{number}a. The fields of {title}, with their data-dictionary names (supportedFieldName):")
            write(f"curl -s {base_url}/api/v1/predictive-models/{model.pk}/fields {auth}")
            write(f"{number}b. Evaluate it on the first application of the demo data:")
            write(f"curl -s -X POST {base_url}/api/v1/insights {auth} {content} \\\n  -d '{json.dumps(document)}'")
        write(f"\nRead a stored evaluation back: curl -s {base_url}/api/v1/insights/<id> {auth}")
        write(f"API documentation: {base_url}/api/docs/")
