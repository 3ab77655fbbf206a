from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One business action on the record: who did what to which object, and when.

    Written by services in the same transaction as the change, so an action and its record
    stand or fall together. Values that are personal data never go into `data`.
    """

    partner = models.ForeignKey("partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
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


class AuditPending(models.Model):
    """A sealed-model row written but not sealed yet: the queue the seal task drains.

    Inserted in the same transaction as the row (a post_save signal), so a committed row always
    has either a pending entry or a seal, and a request never touches the chain itself.
    """

    scope = models.CharField(max_length=64)
    record_type = models.CharField(max_length=64)
    record_id = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["scope", "id"])]
        constraints = [models.UniqueConstraint(fields=["record_type", "record_id"], name="audit_pending_once")]


class AuditChain(models.Model):
    """The head of one partner's chain of sealed blocks; only the seal task locks it."""

    scope = models.CharField(max_length=64, unique=True, help_text="partner:<id>, or global for partner-less events.")
    partner = models.ForeignKey("partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    head_sequence = models.PositiveIntegerField(default=0)
    head_mac = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["scope"]

    def __str__(self):
        return f"Audit chain {self.scope} at block {self.head_sequence}"


class AuditBlock(models.Model):
    """Records sealed together: an HMAC over the previous block's HMAC and each record's HMAC.

    `records` lists [model label, id, record HMAC] in sealing order; `schema` the fields sealed
    per model, so a column added later does not count as an alteration of older records.
    """

    chain = models.ForeignKey(AuditChain, on_delete=models.PROTECT, related_name="blocks")
    sequence = models.PositiveIntegerField()
    previous_mac = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    sealed_at = models.DateTimeField()
    schema = models.JSONField()
    records = models.JSONField()
    record_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["chain", "sequence"]
        constraints = [models.UniqueConstraint(fields=["chain", "sequence"], name="audit_block_sequence_unique")]

    def __str__(self):
        return f"{self.chain.scope} block {self.sequence} ({self.record_count} records)"
