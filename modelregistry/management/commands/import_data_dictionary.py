from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ArgumentError, ArgumentErrors
from modelregistry.services import data_dictionary_import_csv
from partners.models import User


class Command(BaseCommand):
    help = "Add the entries of a CSV file to the data dictionary (all rows or none; existing types never change)."

    def add_arguments(self, parser):
        parser.add_argument("csv_file")
        parser.add_argument("--as-user", required=True, help="The user importing (recorded on the audit trail).")

    def handle(self, *args, csv_file, as_user, **options):
        user = User.objects.filter(username=as_user).first()
        if user is None:
            raise CommandError(f"No user named {as_user!r}.")
        with open(csv_file, encoding="utf-8-sig") as handle:
            text = handle.read()
        try:
            result = data_dictionary_import_csv(text=text, actor=user)
        except ArgumentErrors as errors:
            raise CommandError("Nothing imported:\n" + "\n".join(_line(e) for e in errors.errors)) from None
        except ArgumentError as error:
            raise CommandError(f"Nothing imported: {_line(error)}") from None
        self.stdout.write(
            f"created {len(result.created)}, updated {len(result.updated)}, unchanged {len(result.unchanged)}"
        )


def _line(error):
    return f"{'/'.join(error.field)}: {error.message}"
