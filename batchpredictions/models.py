"""Batch predictions: a CSV of applications scored by a model or a flow, chunk by chunk, in Celery.

The uploaded rows and their results are applicants' data: stored encrypted, per chunk, and
deleted when the download window has passed (the job row stays, with counts only, for the record).
"""

import uuid

from django.conf import settings
from django.db import models

from core.fields import EncryptedJSONField


class BatchPredictionStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"  # inputs and results deleted after the download window


class BatchPrediction(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="batch_predictions")
    # Exactly one of: a registered model version, or the flow version that was effective at submission.
    model = models.ForeignKey(
        "modelregistry.PredictiveModel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    flow = models.ForeignKey(
        "decisioning.DecisionFlow", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The moment whose versions score: a flow's ruleset steps follow the version effective then.
    versions_at = models.DateTimeField()
    source_name = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name.")
    source_sha256 = models.CharField(max_length=64, blank=True)
    # Column names only (dictionary names and the partner's own pass-through columns), never values.
    columns = models.JSONField(default=list)
    result_columns = models.JSONField(default=list)
    status = models.CharField(
        max_length=16, choices=BatchPredictionStatus.choices, default=BatchPredictionStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0, help_text="Rows scored.")
    failed = models.PositiveIntegerField(default=0, help_text="Rows with a row-level error.")
    chunk_size = models.PositiveIntegerField(default=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(help_text="Inputs and results are deleted after this moment.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(model__isnull=False, flow__isnull=True)
                | models.Q(model__isnull=True, flow__isnull=False),
                name="batch_prediction_scores_a_model_or_a_flow",
            )
        ]

    def __str__(self):
        return f"batch prediction {self.pk} ({self.target_label})"

    @property
    def target_label(self):
        return f"model {self.model}" if self.model_id else f"flow {self.flow}"

    @property
    def progress(self):
        if self.total:
            return round(100 * (self.done + self.failed) / self.total, 1)
        return 100.0 if self.finished else 0.0


class BatchPredictionChunk(models.Model):
    """A slice of the uploaded rows: one Celery task. Its row lock makes a redelivery write nothing twice."""

    job = models.ForeignKey(BatchPrediction, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_row = models.PositiveIntegerField(help_text="1-based number of the chunk's first data row.")
    rows = EncryptedJSONField(help_text="The uploaded cells, as text: [[cell, ...], ...].")
    # One list per row: the result values, then the row's error ("" when none).
    results = EncryptedJSONField(null=True, blank=True)
    completed = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="batch_prediction_chunk_unique")]
