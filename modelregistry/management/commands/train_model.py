"""python manage.py train_model --partner SLUG (--data CSV --target COLUMN --bad-value VALUE | --from-portfolio)
--algorithm ..."""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ArgumentError
from modelregistry.training import ALGORITHMS
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Train a model on a CSV of historical loans, or on the partner's portfolio loans with recorded outcomes, "
        "export it as PMML and register it as the next version of NAME (with a model card). "
        "Ends with: trained NAME vN: AUC a, KS k, Gini g (5-fold CV)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="the partner's slug")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--data", help="CSV of historical loans")
        source.add_argument(
            "--from-portfolio",
            action="store_true",
            help="train on the partner's loans with recorded outcomes (bad: delinquent or charged-off), "
            "the application as decided at origination, out of time by origination date",
        )
        parser.add_argument("--target", help="the good/bad column (with --data)")
        parser.add_argument("--bad-value", help="the target's value for a bad loan (with --data)")
        parser.add_argument(
            "--max-rows", type=int, help="with --from-portfolio: at most this many of the most recent loans"
        )
        parser.add_argument(
            "--seasoning-days",
            type=int,
            help="with --from-portfolio: only loans originated at least this many days ago (time to go bad)",
        )
        parser.add_argument("--algorithm", required=True, choices=ALGORITHMS)
        parser.add_argument("--name", help="model name (default: ALGORITHM-PARTNER)")
        parser.add_argument("--date-column", help="a date column: adds an out-of-time check on the latest 20%%")
        parser.add_argument(
            "--accept-proposed-fields",
            action="store_true",
            help="create the proposed dictionary entries for columns that have none",
        )
        parser.add_argument("--svm-max-rows", type=int, help="rows sampled for the SVM (default 5000)")
        parser.add_argument("--sample-rows", type=int, help="train on a random sample of this many rows")
        parser.add_argument("--user", help="username recorded as the trainer (default: none)")

    def handle(self, *args, **options):
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from modelregistry.training.services import model_train, model_train_from_portfolio

        partner = Partner.objects.filter(slug=options["partner"]).first()
        if partner is None:
            raise CommandError(f"No partner {options['partner']!r}.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        try:
            if options["from_portfolio"]:
                if options["target"] or options["bad_value"] or options["date_column"]:
                    raise CommandError(
                        "--from-portfolio sets the target (delinquent or charged-off is bad) and the date "
                        "(origination); leave out --target, --bad-value and --date-column."
                    )
                result = model_train_from_portfolio(
                    partner=partner,
                    algorithm=options["algorithm"],
                    name=options["name"],
                    created_by=user,
                    max_rows=options["max_rows"],
                    seasoning_days=options["seasoning_days"],
                    svm_max_rows=options["svm_max_rows"],
                    sample_rows=options["sample_rows"],
                )
            else:
                if not options["target"] or not options["bad_value"]:
                    raise CommandError("--data needs --target and --bad-value.")
                if options["max_rows"] or options["seasoning_days"]:
                    raise CommandError("--max-rows and --seasoning-days go with --from-portfolio.")
                path = Path(options["data"])
                try:
                    data = path.read_bytes()
                except OSError as error:
                    raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
                result = model_train(
                    partner=partner,
                    data=data,
                    target=options["target"],
                    bad_value=options["bad_value"],
                    algorithm=options["algorithm"],
                    name=options["name"],
                    created_by=user,
                    source_name=path.name,
                    date_column=options["date_column"],
                    accept_proposed_fields=options["accept_proposed_fields"],
                    svm_max_rows=options["svm_max_rows"],
                    sample_rows=options["sample_rows"],
                )
        except ArgumentError as error:
            raise CommandError(f"{'/'.join(error.field)}: {error.message}") from None
        card = result.model.model_card
        for warning in card["warnings"]:
            self.stdout.write(f"warning: {warning}")
        if "outOfTime" in card["metrics"]:
            oot = card["metrics"]["outOfTime"]
            self.stdout.write(
                f"out of time (from {oot['testedFrom']}): AUC {oot['auc']:.3f}, KS {oot['ks']:.3f}, "
                f"Gini {oot['gini']:.3f}"
            )
        cv = card["metrics"]["crossValidation"]
        self.stdout.write(
            f"trained {result.model.name} v{result.model.version}: AUC {cv['auc']:.3f}, "
            f"KS {cv['ks']:.3f}, Gini {cv['gini']:.3f} ({cv['folds']}-fold CV)"
        )
