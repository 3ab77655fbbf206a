"""python manage.py attach_development_sample --partner SLUG --model ID --data CSV [--user USERNAME]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ArgumentError, NotFound
from modelregistry.services import development_sample_attach
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Keep up to 1,000 rows of the data an uploaded PMML model was trained on as its development sample "
        "(encrypted): a tree ensemble is then explained by TreeSHAP, and its global importance is shown."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="the partner's slug")
        parser.add_argument("--model", required=True, help="the model version's id")
        parser.add_argument("--data", required=True, help="CSV whose columns name the model's arguments")
        parser.add_argument("--user", help="username recorded on the audit trail (default: none)")

    def handle(self, *args, **options):
        partner = Partner.objects.filter(slug=options["partner"]).first()
        if partner is None:
            raise CommandError(f"No partner {options['partner']!r}.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], partner=partner).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r} at {partner}.")
        path = Path(options["data"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            sample = development_sample_attach(partner=partner, model_id=options["model"], data=data, actor=user)
        except (ArgumentError, NotFound) as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"kept {sample.row_count} rows as the development sample of {sample.model}")
