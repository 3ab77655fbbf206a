from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ArgumentError
from partners.services import partner_onboard


class Command(BaseCommand):
    help = "Create a lending partner and its first partner admin; the admin's password is printed once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The partner's name, e.g. 'Northwind Savings'.")
        parser.add_argument("--admin", required=True, help="Username of the partner's first admin.")
        parser.add_argument("--email", default="", help="The admin's e-mail address.")

    def handle(self, *args, name, admin, email, **options):
        try:
            partner, user, password = partner_onboard(name=name, admin_username=admin, admin_email=email)
        except ArgumentError as error:
            raise CommandError(f"{'/'.join(error.field)}: {error.message}") from None
        self.stdout.write(f"partner {partner.slug} (id {partner.pk})\nadmin {user.username}\npassword {password}")
