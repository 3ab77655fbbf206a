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
    model = models.ForeignKey("modelregistry.PredictiveModel", on_delete=models.PROTECT, related_name="transactions")
    artifact_sha256 = models.CharField(max_length=64)
    engine_name = models.CharField(max_length=32)
    engine_version = models.CharField(max_length=32)
    # {artifact field name: dictionary name} as it was when evaluated, so replay needs no guess.
    field_mapping = models.JSONField(default=dict)
    # DMN: the registered versions of the models it imports, as evaluated; replay loads exactly these.
    # [{namespace, model, name, version, sha256}]
    imported_artifacts = models.JSONField(default=list, blank=True)
    arguments = EncryptedJSONField()
    results = EncryptedJSONField(null=True, blank=True)
    error = EncryptedTextField(null=True, blank=True)
    # Why the model scored as it did (modelregistry/pmml/native/explain.py), fields named by the
    # dictionary: scorecard points, TreeSHAP or linear contributions and their base value; null
    # when the model has none (DMN, a tree ensemble without a development sample).
    explanation = EncryptedJSONField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=TransactionStatus.choices)
    duration_us = models.PositiveBigIntegerField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # Set when the evaluation is a step of a decision.
    decision = models.ForeignKey("Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="steps")
    step_kind = models.CharField(max_length=16, blank=True)
    step_position = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["partner", "created"]),
            models.Index(fields=["partner", "model", "created"]),
        ]

    def __str__(self):
        return f"{self.model} @ {self.created:%Y-%m-%d %H:%M:%S} ({self.status})"


class ReasonKind(models.TextChoices):
    KNOCKOUT = "knockout"
    MODEL = "model"
    REVIEW = "review"


class ReasonCode(models.Model):
    """A partner's catalogue entry: the code engines emit and the notice text applicants read."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="reason_codes")
    code = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=ReasonKind.choices)
    notice_text = models.CharField(max_length=200, help_text="Short text for the adverse-action notice.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["partner", "code"]
        constraints = [models.UniqueConstraint(fields=["partner", "code"], name="reason_code_unique")]

    def __str__(self):
        return f"{self.code}: {self.notice_text}"


class Flow(models.Model):
    """A partner's named decision flow; its versions (DecisionFlow) go through maker-checker.

    `flowId` in the API names a Flow: decisions take its version published and effective at
    decision time. A published flow may run a challenger version in shadow on a share of traffic.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="decision_flows")
    name = models.CharField(max_length=200)
    is_default = models.BooleanField(default=False)
    challenger = models.ForeignKey(
        "DecisionFlow",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A version run in shadow on a share of traffic; never acted on.",
    )
    challenger_share = models.FloatField(
        default=0.0, help_text="Share of applications (0–1) the challenger also decides."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "name"], name="flow_name_unique"),
            models.UniqueConstraint(
                fields=["partner"], condition=models.Q(is_default=True), name="one_default_named_flow_per_partner"
            ),
            models.CheckConstraint(
                condition=models.Q(challenger_share__gte=0, challenger_share__lte=1),
                name="flow_challenger_share_is_a_share",
            ),
        ]

    def __str__(self):
        return self.name


class FlowVersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class DecisionFlow(models.Model):
    """One version of a partner's flow: knock-outs → score → cut-off → review routing.

    Versions move draft → in review → approved → published → retired like ruleset versions; only a
    published version whose `effective_from` has come decides applications. Steps follow a ruleset's effective version or a model's latest, or pin one version (FlowStep);
    every decision records the exact versions its steps ran.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="flows")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    # Dictionary names of what the flow reads from the score step(s) and the application.
    score_field = models.CharField(max_length=64, help_text="Dictionary name of the score, e.g. creditScore.")
    probability_of_default_field = models.CharField(max_length=64, blank=True)
    reason_code_fields = models.JSONField(default=list, help_text="Dictionary names of reason codes, rank order.")
    amount_field = models.CharField(max_length=64, help_text="Dictionary name of the amount, e.g. fundedAmount.")
    # PD from points when no step gives one: PD = 1 / (1 + exp((score - offset) / factor)).
    score_offset = models.FloatField(null=True, blank=True)
    score_factor = models.FloatField(null=True, blank=True)
    # Cut-off by bands when there is no cut-off table: [{"minimum": 563, "outcome": "APPROVE"}, ...].
    cutoff_bands = models.JSONField(default=list, blank=True)
    definition = models.ForeignKey(Flow, null=True, on_delete=models.PROTECT, related_name="versions")
    status = models.CharField(max_length=16, choices=FlowVersionStatus.choices, default=FlowVersionStatus.DRAFT)
    effective_from = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_note = models.TextField(blank=True)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "name", "version"], name="flow_version_unique"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"

    @property
    def is_draft(self):
        return self.status == FlowVersionStatus.DRAFT


class StepKind(models.TextChoices):
    KNOCKOUT = "knockout"
    SCORE = "score"
    CUTOFF = "cutoff"
    REVIEW = "review"


class StepBinding(models.TextChoices):
    FOLLOW = "follow", "Follow"  # the ruleset's effective version / the model name's latest active version
    PIN = "pin", "Pin"  # exactly one version


class FlowStep(models.Model):
    """One step of a flow, bound to a ruleset or to a registered model, following or pinned.

    - ruleset, follow: the version published and effective at decision time (`effective_from`).
    - ruleset, pin: `ruleset_version`, once published and effective.
    - model, follow: the latest active version of `model`'s name.
    - model, pin: `model`, that version exactly.
    Which version ran is recorded on each decision step (InsightTransaction.model); replay uses it.
    """

    flow = models.ForeignKey(DecisionFlow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    binding = models.CharField(max_length=8, choices=StepBinding.choices, default=StepBinding.PIN)
    model = models.ForeignKey(
        "modelregistry.PredictiveModel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ruleset = models.ForeignKey("rulesets.Ruleset", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ruleset_version = models.ForeignKey(
        "rulesets.RulesetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # For knockout/cutoff/review steps: the dictionary name of the result the flow reads.
    result_field = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "position"], name="flow_step_position_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(model__isnull=False, ruleset__isnull=True, ruleset_version__isnull=True)
                    | models.Q(
                        model__isnull=True, ruleset__isnull=False, binding="follow", ruleset_version__isnull=True
                    )
                    | models.Q(model__isnull=True, ruleset__isnull=False, binding="pin", ruleset_version__isnull=False)
                ),
                name="flow_step_binds_a_ruleset_or_a_model",
            ),
        ]

    def __str__(self):
        return f"{self.flow} #{self.position} {self.kind}: {self.target_label}"

    @property
    def target_label(self):
        if self.ruleset_id:
            pinned = f" v{self.ruleset_version.number}" if self.ruleset_version_id else " (effective version)"
            return f"ruleset {self.ruleset.name}{pinned}"
        suffix = " (latest active)" if self.binding == StepBinding.FOLLOW else ""
        return f"{self.model}{suffix}"


class Outcome(models.TextChoices):
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    REFERRED = "REFERRED"


class Decision(models.Model):
    """One application decided by one flow version; the application and its reasons are encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    flow = models.ForeignKey(DecisionFlow, on_delete=models.PROTECT, related_name="decisions")
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    application = EncryptedJSONField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices, help_text="What the flow decided.")
    final_outcome = models.CharField(
        max_length=8, choices=Outcome.choices, help_text="After review: the outcome that stands."
    )
    # {"reasons": [{"code", "text", "kind"}], "score", "probabilityOfDefault", "cutoff", "referralReasons", "scoreBand"}
    outputs = EncryptedJSONField()
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    # HMAC-SHA256 of the canonical request under a server key (core.fingerprints), for Idempotency-Key retries.
    request_fingerprint = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="decision_idempotency_key_unique",
            )
        ]
        indexes = [models.Index(fields=["partner", "created"])]

    def __str__(self):
        return f"{self.external_id or self.pk} {self.final_outcome}"


class ReviewStatus(models.TextChoices):
    OPEN = "open"
    CLAIMED = "claimed"
    PENDING_CONFIRMATION = "pending_confirmation"
    DECIDED = "decided"


class ReviewCase(models.Model):
    """A referred decision waiting for, or worked by, an underwriter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="review_case")
    status = models.CharField(max_length=24, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(db_index=True)
    referral_reasons = models.JSONField(default=list, help_text="Review reason codes (no personal data).")
    score_band = models.CharField(max_length=16, blank=True)
    # What the underwriter decided; with an override above the partner's amount, pending a second person.
    proposed_outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_override = models.BooleanField(default=False)
    decided_outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "created"]
        indexes = [models.Index(fields=["partner", "status", "due_at"])]

    def __str__(self):
        return f"Review of {self.decision}"


class ReviewActionKind(models.TextChoices):
    CLAIM = "claim"
    RELEASE = "release"
    DECIDE = "decide"
    CONFIRM = "confirm"


class ReviewAction(models.Model):
    """Every action on a case, with who and when; notes are encrypted."""

    case = models.ForeignKey(ReviewCase, on_delete=models.PROTECT, related_name="actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=ReviewActionKind.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    note = EncryptedTextField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]


class ReplayJob(models.Model):
    """One audit replay run, keyed by its Celery task id so a redelivered task resumes it.

    A worker killed mid-run leaves its message unacknowledged; the broker hands it out again with
    the same task id, and the run skips every decision already recorded in `items`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_id = models.CharField(max_length=64, unique=True)
    decision_count = models.PositiveIntegerField()
    # How many deliveries of the task started this job: more than one after a crash or a retry.
    runs = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"Replay {self.task_id} ({self.decision_count} decisions)"


class ReplayItem(models.Model):
    """One decision replayed by a job; written with its audit event, once per (job, decision)."""

    job = models.ForeignKey(ReplayJob, on_delete=models.CASCADE, related_name="items")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="+")
    identical = models.BooleanField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "decision"], name="replay_item_once_per_job")]


class BacktestStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Backtest(models.Model):
    """A candidate flow version and the published one run side by side over recorded applications.

    The report (rates, swap set with examples, rule hits, score distributions) is computed from
    applicants' data, so it is stored encrypted; progress is plain so a page can poll it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.PROTECT, related_name="backtests")
    candidate = models.ForeignKey(DecisionFlow, on_delete=models.PROTECT, related_name="+")
    baseline = models.ForeignKey(DecisionFlow, null=True, on_delete=models.PROTECT, related_name="+")
    # A ruleset version tried inside the published flow (its ruleset's steps run it instead).
    ruleset_version = models.ForeignKey(
        "rulesets.RulesetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    limit = models.PositiveIntegerField(default=10_000)
    status = models.CharField(max_length=8, choices=BacktestStatus.choices, default=BacktestStatus.QUEUED)
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    report = EncryptedJSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    @property
    def progress(self):
        if self.status == BacktestStatus.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0


class ChallengerResult(models.Model):
    """What a challenger flow version would have decided: shadow only, encrypted, never acted on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="challenger_results")
    flow_version = models.ForeignKey(DecisionFlow, on_delete=models.PROTECT, related_name="challenger_results")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    outputs = EncryptedJSONField(null=True, blank=True)
    error = EncryptedTextField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["partner", "flow_version", "created"])]
