"""The partner's periodic re-evaluation, as one django-celery-beat entry per partner."""

import json
import re

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.exceptions import ArgumentError
from core.services import audit_event_record

TASK = "portfolio.tasks.reevaluate_portfolio_scheduled"
_CRON_PART = re.compile(r"^(\*|\d{1,2}(-\d{1,2})?(,\d{1,2}(-\d{1,2})?)*)(/\d{1,2})?$")


def _name(partner):
    return f"portfolio-reevaluation-{partner.pk}"


def reevaluation_schedule_get(*, partner) -> dict:
    task = PeriodicTask.objects.filter(name=_name(partner)).select_related("crontab").first()
    if task is None:
        return {"enabled": False, "minute": "0", "hour": "2", "day_of_week": "*"}
    return {
        "enabled": task.enabled,
        "minute": task.crontab.minute,
        "hour": task.crontab.hour,
        "day_of_week": task.crontab.day_of_week,
    }


@transaction.atomic
def reevaluation_schedule_set(*, partner, actor, enabled, minute, hour, day_of_week) -> dict:
    for field, value in (("minute", minute), ("hour", hour), ("day_of_week", day_of_week)):
        if not isinstance(value, str) or len(value) > 32 or not _CRON_PART.match(value.strip()):
            raise ArgumentError(field, f"{field}: a cron field such as 0, */6, 1-5 or *.")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute.strip(), hour=hour.strip(), day_of_week=day_of_week.strip(), day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.update_or_create(
        name=_name(partner),
        defaults={
            "task": TASK,
            "crontab": crontab,
            "interval": None,
            "args": json.dumps([str(partner.pk)]),
            "enabled": bool(enabled),
        },
    )
    audit_event_record(
        actor=actor,
        action="portfolio.reevaluation_schedule",
        obj=partner,
        partner=partner,
        data={"enabled": bool(enabled), "cron": f"{minute} {hour} * * {day_of_week}"},
    )
    return reevaluation_schedule_get(partner=partner)
