"""python manage.py record_development_sample --partner SLUG --model ID --data CSV [--score-field creditScore]"""

import pandas as pd
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ArgumentError
from modelregistry.models import PredictiveModel
from monitoring.services import development_sample_score
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Score a model's development data (CSV; columns named by the data dictionary or by the model) and keep "
        "the distribution of its score, which the monitoring dashboard compares recent decisions with (PSI)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="the partner's slug")
        parser.add_argument("--model", required=True, help="the id of the score model's version")
        parser.add_argument("--data", required=True, help="CSV of the development data")
        parser.add_argument("--score-field", default="creditScore", help="dictionary name of the score")
        parser.add_argument("--description", default="", help="what the sample is (shown on the dashboard)")
        parser.add_argument("--user", help="username recorded (default: none)")

    def handle(self, *args, partner, model, data, score_field, description, user, **options):
        found = Partner.objects.filter(slug=partner).first()
        if found is None:
            raise CommandError(f"No partner {partner!r}.")
        version = PredictiveModel.objects.filter(partner=found, pk=model).first() if len(model) == 36 else None
        if version is None:
            raise CommandError(f"No model {model!r} of {found}.")
        actor = get_user_model().objects.filter(username=user, partner=found).first() if user else None
        try:
            frame = pd.read_csv(data)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {data}: {error}") from None
        try:
            sample = development_sample_score(
                partner=found,
                model=version,
                score_field=score_field,
                frame=frame,
                actor=actor,
                description=description,
            )
        except ArgumentError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"recorded the development sample of {version} ({score_field}): {sample.size} scores")
