import uuid

from django.conf import settings
from django.db import models

from core.fields import EncryptedJSONField, EncryptedTextField


class TransactionStatus(models.TextChoices):
    OK = "ok"
    ERROR = "error"


class InsightTransaction(models.Model):
    """One evaluation of one model version, on the record for audit and replay.

    Arguments, results and any error text are encrypted at rest; what identifies the evaluation
    (model version, artifact sha256, engine and its version, the field mapping used) is not, so
    auditors can find and replay it without decrypting anything else.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    model = models.ForeignKey(
        "modelregistry.PredictiveModel", on_delete=models.PROTECT, related_name="transactions"
    )
    artifact_sha256 = models.CharField(max_length=64)
    engine_name = models.CharField(max_length=32)
    engine_version = models.CharField(max_length=32)
    # {artifact field name: dictionary name} as it was when evaluated, so replay needs no guess.
    field_mapping = models.JSONField(default=dict)
    arguments = EncryptedJSONField()
    results = EncryptedJSONField(null=True, blank=True)
    error = EncryptedTextField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=TransactionStatus.choices)
    duration_us = models.PositiveBigIntegerField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["partner", "created"]),
            models.Index(fields=["partner", "model", "created"]),
        ]

    def __str__(self):
        return f"{self.model} @ {self.created:%Y-%m-%d %H:%M:%S} ({self.status})"
