from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One business action on the record: who did what to which object, and when.

    Written by services in the same transaction as the change, so an action and its record
    stand or fall together. Values that are personal data never go into `data`.
    """

    partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "created"])]

    def __str__(self):
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.object_repr}"


class RateLimitCounter(models.Model):
    """Requests one API client made in one fixed window: the rate limits' store without Redis.

    Shared by every worker through the database; with REDIS_URL the counters live in Redis instead.
    """

    client_key = models.CharField(max_length=100)
    window_number = models.BigIntegerField(help_text="Seconds since the epoch // the window's length.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_key", "window_number"], name="rate_limit_counter_unique")
        ]

    def __str__(self):
        return f"{self.client_key} @ {self.window_number}: {self.hits}"
