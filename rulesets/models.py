"""Rulesets: a partner's decision tables as versioned, reviewed documents.

A version's DMN XML is the source of truth. It is authored as a draft, submitted for review,
approved by a second person (a rule approver, never its author) with the moment it takes effect,
and published: publishing registers the XML in the model registry as an immutable DMN model
version, which is what flows evaluate, record and replay.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class RulesetPurpose(models.TextChoices):
    KNOCKOUT = "knockout", "Knock-out"
    POINTS = "points", "Points"
    CUTOFF = "cutoff", "Cut-off"
    ROUTING = "routing", "Routing"
    PRICING = "pricing", "Pricing"


class Ruleset(models.Model):
    """A named set of rules of one partner (e.g. "Knock-out rules"); its content lives in versions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="rulesets")
    name = models.CharField(max_length=200, help_text="Also the name its published versions get in the model registry.")
    purpose = models.CharField(max_length=16, choices=RulesetPurpose.choices)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "name"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="ruleset_name_unique")]

    def __str__(self):
        return self.name


class RulesetVersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class RulesetVersionLiveState(models.TextChoices):
    """For display only, refreshed by a scheduled task: which published version is live now.

    Decisions never read it; they resolve the effective version from `effective_from`.
    """

    NONE = "", "—"
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    SUPERSEDED = "superseded", "Superseded"


class SourceFormat(models.TextChoices):
    XML = "xml", "DMN XML"
    XLSX = "xlsx", "Excel rule workbook"


# What may still change once a version has reached a status (besides the status itself).
_CHANGEABLE_BY_STATUS = {
    RulesetVersionStatus.DRAFT: None,  # anything but ruleset and number
    RulesetVersionStatus.IN_REVIEW: {"approver", "effective_from", "updated"},
    RulesetVersionStatus.APPROVED: {"approver", "effective_from", "published_model", "updated", "live_state"},
    RulesetVersionStatus.PUBLISHED: {"updated", "live_state"},
    RulesetVersionStatus.RETIRED: {"updated", "live_state"},
}
_ALLOWED_STATUS_CHANGES = {
    RulesetVersionStatus.DRAFT: {RulesetVersionStatus.IN_REVIEW},
    RulesetVersionStatus.IN_REVIEW: {RulesetVersionStatus.APPROVED, RulesetVersionStatus.DRAFT},
    RulesetVersionStatus.APPROVED: {RulesetVersionStatus.PUBLISHED, RulesetVersionStatus.DRAFT},
    RulesetVersionStatus.PUBLISHED: {RulesetVersionStatus.RETIRED},
    RulesetVersionStatus.RETIRED: set(),
}


class RulesetVersion(models.Model):
    """One version of a ruleset's DMN XML, moving draft → in review → approved → published → retired.

    Only a draft's content changes; from review on the XML is frozen, and a published version
    changes only to retired. Editing a published version makes a new draft.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ruleset = models.ForeignKey(Ruleset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    dmn_xml = models.TextField(help_text="The DMN XML: the source of truth.")
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=RulesetVersionStatus.choices, default=RulesetVersionStatus.DRAFT)
    live_state = models.CharField(max_length=16, choices=RulesetVersionLiveState.choices, blank=True, default="")
    effective_from = models.DateTimeField(
        null=True, blank=True, help_text="Set on approval: from this moment decisions use this version."
    )
    # {DMN input or decision name: data-dictionary name}; applied on publication, over the names
    # that map themselves and the previous version's mapping.
    field_mapping = models.JSONField(default=dict, blank=True)
    change_note = models.TextField(blank=True)
    # The registered DMN models its imports resolved to when it was submitted (frozen from review
    # on, registered with it on publication): [{namespace, model, name, version, sha256}].
    imports = models.JSONField(default=list, blank=True)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_model = models.OneToOneField(
        "modelregistry.PredictiveModel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ruleset_version",
        help_text="The registered model version publishing created.",
    )
    source_format = models.CharField(max_length=8, choices=SourceFormat.choices, default=SourceFormat.XML)
    source_name = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name.")
    source_file = models.BinaryField(
        null=True, blank=True, editable=False, help_text="An uploaded Excel workbook, kept as sent (XML: empty)."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ruleset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "number"], name="ruleset_version_number_unique"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["approved", "published"]) | models.Q(effective_from__isnull=False),
                name="ruleset_version_approved_has_effective_from",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(published_model__isnull=False),
                name="ruleset_version_published_has_model",
            ),
        ]
        indexes = [models.Index(fields=["ruleset", "status", "effective_from"])]

    def __str__(self):
        return f"{self.ruleset.name} v{self.number} ({self.get_status_display().lower()})"

    @property
    def partner(self):
        return self.ruleset.partner

    @property
    def is_editable(self):
        return self.status == RulesetVersionStatus.DRAFT

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._check_change_allowed()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != RulesetVersionStatus.DRAFT:
            raise ValidationError("Only a draft ruleset version can be deleted; retire a published one.")
        return super().delete(*args, **kwargs)

    def _check_change_allowed(self):
        stored = type(self).objects.filter(pk=self.pk).first()
        if stored is None:
            return
        changed = {
            field.attname
            for field in self._meta.concrete_fields
            if getattr(stored, field.attname) != getattr(self, field.attname)
        }
        changed.discard("updated")
        if {"ruleset_id", "number"} & changed:
            raise ValidationError("A ruleset version's ruleset and number never change.")
        if "status" in changed:
            if self.status not in _ALLOWED_STATUS_CHANGES[stored.status]:
                raise ValidationError(f"A {stored.status} ruleset version cannot become {self.status}.")
            changed.discard("status")
        changeable = _CHANGEABLE_BY_STATUS[stored.status]
        if self.status == RulesetVersionStatus.DRAFT and stored.status != RulesetVersionStatus.DRAFT:
            changeable = {"approver", "effective_from", "live_state"}  # a rejection clears the approval
        if changeable is None:
            return
        changeable_attnames = {self._meta.get_field(name).attname for name in changeable} - {"updated"}
        frozen = changed - changeable_attnames
        if frozen:
            raise ValidationError(
                f"A {stored.get_status_display().lower()} ruleset version cannot change "
                f"({', '.join(sorted(frozen))}); edit a new draft instead."
            )


class RulesetVersionTransition(models.Model):
    """One status change of a version: who, when, from what to what, and why."""

    version = models.ForeignKey(RulesetVersion, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=RulesetVersionStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=RulesetVersionStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "created", "id"]

    def __str__(self):
        return f"{self.version}: {self.from_status or 'new'} → {self.to_status} by {self.actor}"


class RulesetTestCase(models.Model):
    """Authored test data: inputs (as the DMN names them) and the outputs the rules must give."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, related_name="test_cases")
    name = models.CharField(max_length=200)
    inputs = models.JSONField(default=dict, blank=True, help_text="{DMN input name: value}")
    expected_outputs = models.JSONField(default=dict, help_text="{decision or output name: value}")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ruleset", "name"]
        constraints = [models.UniqueConstraint(fields=["ruleset", "name"], name="ruleset_test_case_name_unique")]

    def __str__(self):
        return f"{self.ruleset.name}: {self.name}"

    def clean(self):
        if not isinstance(self.inputs, dict):
            raise ValidationError({"inputs": "Give an object of input names to values."})
        if not isinstance(self.expected_outputs, dict) or not self.expected_outputs:
            raise ValidationError({"expected_outputs": "Give at least one expected output (name to value)."})
