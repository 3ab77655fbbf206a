import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from core.fields import EncryptedJSONField, EncryptedTextField


class DataType(models.TextChoices):
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    STRING = "string"
    DATE = "date"
    # Results only: reason-code lists and multi-output decisions.
    LIST = "list"
    OBJECT = "object"


class DisplayFormat(models.TextChoices):
    CURRENCY = "currency"
    PERCENT = "percent"
    NUMBER = "number"
    ENUMERATION = "enumeration"
    TEXT = "text"


camel_case = RegexValidator(r"^[a-z][a-zA-Z0-9]*$", "Use camelCase: a lower-case letter, then letters and digits.")


class DataDictionaryField(models.Model):
    """One concept of the shared vocabulary that partners' systems send and receive."""

    name = models.CharField(max_length=64, unique=True, validators=[camel_case])
    data_type = models.CharField(max_length=16, choices=DataType.choices)
    label = models.CharField(max_length=200, blank=True, help_text="What people read instead of the name.")
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=32, blank=True, help_text="e.g. USD, percent, months.")
    display_format = models.CharField(
        max_length=16,
        choices=DisplayFormat.choices,
        blank=True,
        help_text="How pages show a value: currency, percent, number, enumeration (by label) or as sent.",
    )
    value_labels = models.JSONField(
        null=True, blank=True, help_text="An object: allowed value -> the label pages show for it."
    )
    allowed_values = models.JSONField(null=True, blank=True, help_text="A list; a value outside it is rejected.")
    minimum = models.FloatField(null=True, blank=True)
    maximum = models.FloatField(null=True, blank=True)
    protected = models.BooleanField(
        default=False,
        help_text="A protected characteristic (e.g. age, sex): may be recorded, but is never a "
        "model argument unless that use is explicitly allowed when mapping.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def display_label(self):
        return self.label or self.name

    def clean(self):
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValidationError({"maximum": "The maximum is below the minimum."})
        if self.allowed_values is not None and not isinstance(self.allowed_values, list):
            raise ValidationError({"allowed_values": "Give a list of values."})
        if self.value_labels is not None and not isinstance(self.value_labels, dict):
            raise ValidationError({"value_labels": "Give an object of value: label."})
        if (self.minimum is not None or self.maximum is not None) and self.data_type not in (
            DataType.NUMBER,
            DataType.INTEGER,
        ):
            raise ValidationError({"minimum": "Bounds apply to number and integer fields only."})


class Engine(models.TextChoices):
    PMML = "pmml", "PMML"
    DMN = "dmn", "DMN"


class ModelStatus(models.TextChoices):
    ACTIVE = "active"
    RETIRED = "retired"


class SourceFormat(models.TextChoices):
    XML = "xml", "PMML or DMN XML"
    XLSX = "xlsx", "Excel rule workbook"


class PredictiveModel(models.Model):
    """One registered version of a model artifact. The artifact never changes once stored.

    An Excel rule workbook is converted to DMN XML when it is registered: the XML is the artifact
    that is evaluated and replayed, and the workbook is kept as uploaded (`source_file`) so an
    auditor can see exactly what the partner sent.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="models")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    engine = models.CharField(max_length=8, choices=Engine.choices)
    artifact = models.TextField()
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=8, choices=ModelStatus.choices, default=ModelStatus.ACTIVE)
    description = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    allow_reference_engine = models.BooleanField(
        default=False,
        help_text="Chosen at upload: a PMML model the native engine cannot evaluate may be evaluated by the "
        "pypmml reference engine (a JVM). Off unless asked for; the artifact passes the safe XML door either way.",
    )
    source_format = models.CharField(max_length=8, choices=SourceFormat.choices, default=SourceFormat.XML)
    source_name = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name.")
    source_sha256 = models.CharField(max_length=64, blank=True, help_text="sha256 of the uploaded file.")
    source_file = models.BinaryField(
        null=True, blank=True, editable=False, help_text="The uploaded workbook, kept as sent (XML uploads: empty)."
    )
    namespace = models.CharField(
        max_length=500,
        blank=True,
        db_index=True,
        editable=False,
        help_text="DMN: the definitions' namespace, by which the partner's other DMN models import this one.",
    )
    imports = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="DMN: the registered versions of the models it imports (and they import), pinned when it was "
        "reviewed: [{namespace, model, name, version, sha256}]. What is evaluated and replayed with it.",
    )
    model_card = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="For a model trained here: data summary, features, parameters, metrics and warnings.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["partner", "name", "version"], name="model_version_unique")]

    def __str__(self):
        return f"{self.name} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("artifact", flat=True).first()
            if stored is not None and stored != self.artifact:
                raise ValidationError("A registered model's artifact never changes; register a new version.")
        super().save(*args, **kwargs)


class DevelopmentSample(models.Model):
    """Rows of the data a model version was trained on (its arguments, as the artifact names them),
    encrypted: the covers TreeSHAP weighs a tree ensemble's paths by, and the population its global
    importance is averaged over. Kept apart from the model so that reading a model never decrypts it."""

    model = models.OneToOneField(PredictiveModel, on_delete=models.CASCADE, related_name="development_sample")
    rows = EncryptedJSONField()
    row_count = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Development sample of {self.model} ({self.row_count} rows)"


class FieldType(models.TextChoices):
    ARGUMENT = "argument"
    RESULT = "result"


class PredictiveModelField(models.Model):
    """A field as the artifact names it, mapped onto the data dictionary."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model = models.ForeignKey(PredictiveModel, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=200)
    field_type = models.CharField(max_length=8, choices=FieldType.choices)
    data_type = models.CharField(max_length=16)
    allowed_values = models.JSONField(null=True, blank=True)
    position = models.PositiveIntegerField()
    supported_field = models.ForeignKey(
        DataDictionaryField, null=True, blank=True, on_delete=models.PROTECT, related_name="model_fields"
    )
    protected_use_allowed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who allowed a protected dictionary field as this model's argument.",
    )

    class Meta:
        ordering = ["model", "field_type", "position"]
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="model_field_name_unique"),
            models.UniqueConstraint(
                fields=["model", "field_type", "supported_field"],
                condition=models.Q(supported_field__isnull=False),
                name="model_field_mapping_unique",
            ),
        ]

    def __str__(self):
        target = self.supported_field.name if self.supported_field_id else "unmapped"
        return f"{self.model}: {self.name} → {target}"


class TrainingJobStatus(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Awaiting confirmation of the column mapping"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class TrainingJob(models.Model):
    """A model trained from an uploaded CSV on the training page, in the Celery worker.

    The CSV (historical loans: applicants' data) is stored encrypted only until training ends;
    the mapping (column names to dictionary names) is plain and is what a person confirmed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="training_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    source_name = models.CharField(max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64)
    data = EncryptedTextField(blank=True, help_text="The uploaded CSV; emptied when training ends.")
    rows = models.PositiveIntegerField(default=0)
    target = models.CharField(max_length=200)
    bad_value = models.CharField(max_length=200)
    algorithm = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    date_column = models.CharField(max_length=200, blank=True)
    sample_rows = models.PositiveIntegerField(null=True, blank=True)
    # {"matched": {column: entry}, "proposed": {column: {"name", "dataType"}}, "protected": [column]}
    mapping = models.JSONField(default=dict)
    status = models.CharField(
        max_length=24, choices=TrainingJobStatus.choices, default=TrainingJobStatus.AWAITING_CONFIRMATION
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed = models.DateTimeField(null=True, blank=True)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=200, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    model = models.ForeignKey(PredictiveModel, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"training {self.name} ({self.algorithm})"
