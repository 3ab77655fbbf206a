from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ArgumentError, ArgumentErrors
from partners.models import Partner
from portfolio.services.loans import loan_import_csv


class Command(BaseCommand):
    help = (
        "Import loans from a CSV file (external_id, origination_date, balance, status, optional origination_score, "
        "then data-dictionary names). Nothing is imported while any row is wrong; every bad cell is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("partner", help="The partner's slug.")
        parser.add_argument("path")

    def handle(self, *args, partner, path, **options):
        target = Partner.objects.filter(slug=partner).first()
        if target is None:
            raise CommandError(f"No partner with slug {partner!r}.")
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
        try:
            count = loan_import_csv(partner=target, csv_text=text, actor=None)
        except ArgumentErrors as problems:
            raise CommandError("Nothing imported:\n" + "\n".join(error.message for error in problems.errors)) from None
        except ArgumentError as problem:
            raise CommandError(f"Nothing imported: {problem.message}") from None
        self.stdout.write(self.style.SUCCESS(f"Imported {count} loans for {target}."))
