"""What monitoring keeps beside the decisions: protected characteristics and development samples."""

from django.conf import settings
from django.db import models

from core.fields import EncryptedJSONField


class ProtectedCharacteristics(models.Model):
    """Protected characteristics of the applicant behind one decision, recorded for fairness monitoring.

    Kept apart from `Decision.application` on purpose: flows and models read the application only,
    so nothing recorded here can reach a model's arguments or a replay. The values are applicant
    data, so they are encrypted like the application. `synthetic` marks generated values (the demo's),
    which every page showing them labels as such.
    """

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    decision = models.OneToOneField(
        "decisioning.Decision", on_delete=models.PROTECT, related_name="protected_characteristics"
    )
    # {protected dictionary name: value}
    values = EncryptedJSONField()
    synthetic = models.BooleanField(default=False, help_text="Generated values (demo data), not the applicant's.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "protected characteristics"
        indexes = [models.Index(fields=["partner", "created"])]

    def __str__(self):
        return f"Protected characteristics of {self.decision_id}"


class DevelopmentSample(models.Model):
    """The distribution of a score model's output on the data it was developed on, for PSI.

    Only binned counts are kept (deciles of the sample, `portfolio.drift`), no applicant's value.
    """

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    model = models.ForeignKey("modelregistry.PredictiveModel", on_delete=models.PROTECT, related_name="+")
    # The dictionary name of the score (the flow's `score_field`, e.g. creditScore).
    score_field = models.CharField(max_length=64)
    # {"kind": "numeric", "edges": [...], "counts": {bin: count}} as portfolio.drift builds it.
    spec = models.JSONField()
    size = models.PositiveIntegerField()
    description = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "score_field"], name="monitoring_development_sample_unique")
        ]

    def __str__(self):
        return f"Development sample of {self.model} ({self.score_field}, {self.size} rows)"
