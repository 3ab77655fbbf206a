from django.core.management.base import BaseCommand

from modelregistry.selectors import data_dictionary_csv


class Command(BaseCommand):
    help = "Write the data dictionary as CSV to standard output (the columns import_data_dictionary reads)."

    def handle(self, *args, **options):
        self.stdout.write(data_dictionary_csv(), ending="")
