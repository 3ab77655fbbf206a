"""The partner's booked loans and their periodic re-evaluation (post-loan monitoring)."""

import uuid

from django.db import models

from core.fields import EncryptedJSONField

DEFAULT_GRADES = ("A", "B", "C", "D", "E", "F", "G")
# Upper bounds of the probability of default for grades A..F; G takes the rest.
DEFAULT_PD_BOUNDS = (0.02, 0.05, 0.10, 0.15, 0.25, 0.40)


class LoanStatus(models.TextChoices):
    CURRENT = "current"
    DELINQUENT = "delinquent"
    CHARGED_OFF = "charged-off"
    CLOSED = "closed"


class Loan(models.Model):
    """A booked loan. Its attributes (dictionary names → values) stay encrypted; results are plain."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="loans")
    external_id = models.CharField(max_length=64)
    origination_date = models.DateField()
    decision = models.ForeignKey(
        "decisioning.Decision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attributes = EncryptedJSONField()
    balance = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=16, choices=LoanStatus.choices, default=LoanStatus.CURRENT)
    # The score at origination, as imported (monitoring's AUC by origination month reads it). Jobs never
    # write the loan's row: its drift baseline (this, or its first re-evaluation's score when none was
    # imported) and its latest score, PD and grade are in LoanLatestEvaluation (loan.latest).
    origination_score = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "external_id"], name="portfolio_loan_unique_external_id")
        ]
        # A job's scope (the partner's loans of some statuses, by id) read from the index alone once
        # the table is vacuumed (loan_statistics_refresh after a bulk load; jobs never write loan rows):
        # 0.34 s for 1,000,000 loans instead of 1.3 s reading every wide row.
        indexes = [models.Index(fields=["partner", "status", "id"], name="portfolio_loan_scope")]

    def __str__(self):
        return self.external_id


class PortfolioSettings(models.Model):
    """Per partner: early-warning factor, high-risk grades, and the attributes' distribution at origination."""

    partner = models.OneToOneField("partners.Partner", on_delete=models.CASCADE, related_name="portfolio_settings")
    early_warning_factor = models.FloatField(
        default=1.5, help_text="Flag a loan whose PD grew by more than this factor."
    )
    high_risk_grades = models.CharField(
        max_length=64, default="F,G", help_text="Comma-separated grades that are high risk."
    )
    # {dictionary name: {"kind": "numeric", "edges": [...], "counts": [...]} | {"kind": "categorical", "counts": {...}}}
    baseline = models.JSONField(default=dict, blank=True)

    def high_risk(self):
        return {grade.strip() for grade in self.high_risk_grades.split(",") if grade.strip()}


class GradeBand(models.Model):
    """A grade: loans whose PD is below `max_probability_of_default` (the lowest such band wins)."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="grade_bands")
    grade = models.CharField(max_length=8)
    max_probability_of_default = models.FloatField(null=True, blank=True, help_text="Empty: the last band.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "grade"], name="portfolio_gradeband_unique")]


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ReevaluationJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="reevaluation_jobs")
    flow = models.ForeignKey("decisioning.DecisionFlow", on_delete=models.PROTECT, related_name="+")
    # The exact model versions of each step, resolved once at submission: [{position, kind, model_id, ...}].
    plan = models.JSONField(default=list)
    scope = models.JSONField(default=dict, blank=True)  # {"status": [...]}
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    chunk_size = models.PositiveIntegerField(default=5000)
    created_by = models.ForeignKey("partners.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    psi = models.JSONField(default=dict, blank=True)  # {"score": {...}, "arguments": {name: {...}}}
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created"]

    @property
    def progress(self):
        return (
            round(100 * (self.done + self.failed) / self.total, 1) if self.total else (100.0 if self.finished else 0.0)
        )


class ReevaluationChunk(models.Model):
    """A slice of the job's loans, one Celery task. Its row lock makes a redelivery write nothing twice."""

    job = models.ForeignKey(ReevaluationJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    loan_ids = models.JSONField()
    completed = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    # Counts of the chunk's current attributes in the baseline's bins, for PSI.
    histograms = models.JSONField(default=dict, blank=True)
    # Seconds spent reading, decrypting, evaluating and writing, and the worker's CPU seconds (the completing run's).
    timings = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="portfolio_chunk_unique")]


class ReevaluationResult(models.Model):
    """One loan's result in one job. A job writes one per loan in bulk (a million rows for a large
    book), so the two foreign keys are not database constraints: PostgreSQL checks a constraint with
    one query per inserted row at commit, which cost as much as the insert itself. The rows are
    only written by portfolio.services.chunks for loans it has just read in the same transaction,
    and deleting a job or a loan cascades through Django. The job's own index would repeat the
    leading column of the unique (job, loan) index."""

    job = models.ForeignKey(
        ReevaluationJob, on_delete=models.CASCADE, related_name="results", db_constraint=False, db_index=False
    )
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="results", db_constraint=False)
    score = models.FloatField(null=True)
    probability_of_default = models.FloatField(null=True)
    grade = models.CharField(max_length=8, blank=True)
    previous_probability_of_default = models.FloatField(null=True)
    previous_grade = models.CharField(max_length=8, blank=True)
    pd_increase = models.BooleanField(default=False)
    into_high_risk = models.BooleanField(default=False)
    knockout_fails = models.BooleanField(default=False)
    knockout_reasons = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # The loan's origination score as this job left it (its own score when the loan had none), for PSI.
    origination_score = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "loan"], name="portfolio_result_unique_job_loan")]

    @property
    def early_warning(self):
        return self.pd_increase or self.into_high_risk or self.knockout_fails


class LoanLatestEvaluation(models.Model):
    """A loan's latest successful re-evaluation (`loan.latest`; absent until its first one).

    Kept out of the loan's own row: a loan row carries its ~1 KB of encrypted attributes, and a job
    that set four small columns on it rewrote the whole row (and, after each checkpoint, its page)
    for every loan in the book. This row is ~80 bytes, and its table's half-empty pages (fillfactor,
    migration 0003) let each job's update stay on the row's page without touching the index (HOT).

    Written in bulk by portfolio.services.chunks for loans it has just read in the same
    transaction, so neither foreign key is a database constraint (like ReevaluationResult's): the
    loan's check would run once per inserted row (20,000 rows: 0.35-0.9 s against 0.09 s for the
    insert) and lock each wide loan row FOR KEY SHARE, writing its page again. Deleting a loan
    cascades through Django; deleting a job clears `job` (it has no index: nothing reads by it)."""

    loan = models.OneToOneField(
        Loan, primary_key=True, on_delete=models.CASCADE, related_name="latest", db_constraint=False
    )
    job = models.ForeignKey(
        ReevaluationJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
        help_text="The job that set it; empty for evaluations from before this table.",
    )
    score = models.FloatField(null=True, blank=True)
    probability_of_default = models.FloatField(null=True, blank=True)
    grade = models.CharField(max_length=8, blank=True)
    evaluated_at = models.DateTimeField()
    origination_score = models.FloatField(
        null=True,
        blank=True,
        help_text="The drift baseline: the loan's imported origination score, or its first re-evaluation's score.",
    )

    class Meta:
        verbose_name = "loan's latest evaluation"
        verbose_name_plural = "loans' latest evaluations"

    def __str__(self):
        return f"{self.loan_id}: {self.grade or '-'}"
