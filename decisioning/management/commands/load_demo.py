import json

from django.core.management.base import BaseCommand

from decisioning.demo import demo_application, demo_load, example_arguments


class Command(BaseCommand):
    help = (
        "Load the demo partner, its people, the Lending Club dictionary, models and rules; print how to call the API."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--applications", type=int, default=300, help="Historical applications to decide.")

    def handle(self, *args, base_url, applications, **options):
        from decisioning.demo import demo_decisions_run
        from partners import roles

        demo = demo_load()
        from portfolio.demo import demo_loans_load

        loans = demo_loans_load(partner=demo["partner"])
        outcomes = demo_decisions_run(
            partner=demo["partner"], requested_by=demo["people"][roles.PARTNER_SYSTEM][0], count=applications
        )
        from monitoring.demo import demo_monitoring_load

        monitoring = demo_monitoring_load(partner=demo["partner"], actor=demo["people"][roles.RISK_MANAGER][0])
        write = self.stdout.write
        write(self.style.SUCCESS(f"Loaded the demo partner {demo['partner']}."))
        write("\nPeople (username: password, shown once; log in at " + base_url + "/admin/ or /review/):")
        for role, (user, password) in demo["people"].items():
            write(f"  {user.username:<24} {password or '(unchanged since the last load)'}   role: {role}")
        write(
            "\nRules (published, approved by demo_rule_approver; edit them as demo_rule_editor: a new draft, then review):"
        )
        for ruleset in demo["rulesets"].values():
            write(f"  {ruleset.name:<24} {ruleset.get_purpose_display():<10} {ruleset.test_cases.count()} test cases")
        token = demo["token"]
        auth = f"-H 'Authorization: Token {token}'"
        content = "-H 'Content-Type: application/vnd.api+json'"
        write("\nThe partner system's API token (shown once): " + token)
        for number, (title, model) in enumerate(
            (("the logistic PD model (PMML)", demo["logistic"]), ("the knock-out rules (DMN)", demo["knockout"])),
            start=1,
        ):
            document = {
                "data": {
                    "type": "insight",
                    "attributes": {"modelId": str(model.pk), "arguments": example_arguments(model)},
                }
            }
            write(f"\n{number}a. The fields of {title}, with their data-dictionary names (supportedFieldName):")
            write(f"curl -s {base_url}/api/v1/predictive-models/{model.pk}/fields {auth}")
            write(f"{number}b. Evaluate it on the first application of the demo data:")
            write(f"curl -s -X POST {base_url}/api/v1/insights {auth} {content} \\\n  -d '{json.dumps(document)}'")
        write(f"\nRead a stored evaluation back: curl -s {base_url}/api/v1/insights/<id> {auth}")
        write(
            f"\nDecided {applications} historical applications: "
            + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        )
        write(f"The referred ones wait in the underwriters' queue: {base_url}/review/ (log in as demo_underwriter).")
        write(
            f"Decide an application: curl -s -X POST {base_url}/api/v1/decisions {auth} {content} -H 'Idempotency-Key: my-key-1' \\\n  -d '{json.dumps({'data': {'type': 'decision', 'attributes': {'externalId': 'APP-1', 'application': demo_application(0)}}})}'"
        )
        write(f"API documentation: {base_url}/api/docs/")
        write(
            f"\nImported {loans} demo loans (ids, dates, balances and statuses generated: portfolio/demo.py); "
            f"re-evaluate the book as demo_risk_manager at {base_url}/portfolio/jobs/"
        )
        write(
            f"Monitoring (demo_risk_manager, demo_auditor): {base_url}/monitoring/ and {base_url}/monitoring/fairness/ "
            f"({monitoring['recorded']} SYNTHETIC age bands recorded beside the demo's decisions, "
            f"{monitoring['linked']} demo loans linked to their decisions)."
        )
