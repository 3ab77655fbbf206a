from django.core.management.base import BaseCommand, CommandError

from core.selectors import audit_chain_verify
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Check the sealed audit chain against the records as they are now. Exits 0 when intact; "
        "otherwise lists each altered, deleted or unsealed record and block, the first first, and exits 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", metavar="SLUG", help="Check only this partner's chain.")

    def handle(self, *args, partner=None, **options):
        if partner is not None:
            found = Partner.objects.filter(slug=partner).first()
            if found is None:
                raise CommandError(f"No partner with the slug {partner!r}.")
            partner = found
        report = audit_chain_verify(partner=partner)
        if not report.intact:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"Audit chain broken ({len(report.problems)} problems). First: {report.problems[0]}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.blocks} blocks, {report.sealed} records sealed, {report.pending} pending."
            )
        )
