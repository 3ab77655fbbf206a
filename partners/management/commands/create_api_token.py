from django.core.management.base import BaseCommand, CommandError

from partners.models import User
from partners.services import api_token_create


class Command(BaseCommand):
    help = "Issue an API token for a partner's user or system; the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        self.stdout.write(api_token_create(user=user))
