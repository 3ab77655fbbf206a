import signal

from django.core.management.base import BaseCommand, CommandError

from decisioning import streams
from partners.models import Partner


class Command(BaseCommand):
    help = "Decide a partner's applications from its Redis request stream, as its configured stream user."

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="Partner slug.")
        parser.add_argument("--consumer", default=None, help="Consumer name in the group (default host-pid).")
        parser.add_argument("--count", type=int, default=10, help="Messages read per batch.")
        parser.add_argument(
            "--claim-idle-ms",
            type=int,
            default=30_000,
            help="Claim another consumer's unacknowledged requests idle this long.",
        )

    def handle(self, *args, partner, consumer, count, claim_idle_ms, **options):
        found = Partner.objects.filter(slug=partner, is_active=True).first()
        if found is None:
            raise CommandError(f"No active partner {partner!r}.")
        try:
            worker = streams.Consumer(found, name=consumer, count=count, claim_idle_ms=claim_idle_ms)
        except streams.StreamConfigurationError as error:
            raise CommandError(str(error)) from None
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        self.stdout.write(f"Consuming {streams.request_stream(found)} as {worker.user.username} ({worker.name}).")
        self.stdout.flush()
        try:
            worker.run(stop=lambda: bool(stopping))
        except KeyboardInterrupt:
            pass
