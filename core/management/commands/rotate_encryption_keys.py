from django.conf import settings
from django.core.management.base import BaseCommand

from core.encryption import reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored evaluation with the first key of FERNET_KEYS. Put the new key first, "
        "keep the old ones after it, run this, then drop the old keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        self.stdout.write(f"Encrypting with key 1 of {len(settings.FERNET_KEYS)}.")
        counts = reencrypt_all(batch_size=batch_size)
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS("Done: the old keys can now be removed from FERNET_KEYS."))
