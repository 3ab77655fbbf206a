import time

from django.core.management.base import BaseCommand, CommandError

from partners.models import Partner
from portfolio.demo import synthetic_loans_create


class Command(BaseCommand):
    help = (
        "Generate N synthetic loans (default 1,000,000), resampled from the Lending Club rows with jitter, "
        "attributes encrypted; for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("partner", help="The partner's slug.")
        parser.add_argument("--loans", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=12)
        parser.add_argument("--prefix", default="SYN")

    def handle(self, *args, partner, loans, seed, prefix, **options):
        target = Partner.objects.filter(slug=partner).first()
        if target is None:
            raise CommandError(f"No partner with slug {partner!r}.")
        started = time.perf_counter()
        timings = synthetic_loans_create(partner=target, count=loans, seed=seed, prefix=prefix)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{timings['created']} loans in {elapsed:.1f} s (build {timings['build']} s, encrypt {timings['encrypt']} s, "
                f"insert {timings['insert']} s)."
            )
        )
