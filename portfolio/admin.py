from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path

from core.admin_mixins import PartnerScopedAdmin
from core.exceptions import ArgumentError, ArgumentErrors

from .models import DEFAULT_GRADES, GradeBand, Loan, PortfolioSettings, ReevaluationJob
from .services.grades import grade_bands
from .services.loans import MAX_IMPORT_BYTES, loan_import_csv


class LoanImportForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=None)
    file = forms.FileField(help_text="CSV: external_id, origination_date, balance, status, then data-dictionary names.")

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners


class LatestGradeFilter(admin.SimpleListFilter):
    """The latest grade, offered from the grade bands (the partner's own, or the defaults) rather
    than from the distinct grades of every loan: that would scan the whole book, every partner's."""

    title = "latest grade"
    parameter_name = "latest_grade"
    NONE = "-"

    def lookups(self, request, model_admin):
        if request.user.partner_id is not None and not request.user.is_superuser:
            grades = [grade for grade, _ in grade_bands(partner=request.user.partner)]
        else:
            grades = sorted(set(DEFAULT_GRADES) | set(GradeBand.objects.values_list("grade", flat=True)))
        return [(grade, grade) for grade in grades] + [(self.NONE, "Not evaluated")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == self.NONE:
            return queryset.filter(latest__isnull=True)
        return queryset.filter(latest__grade=value)


def _latest(loan, name):
    latest = getattr(loan, "latest", None)  # None when the loan was never re-evaluated
    return getattr(latest, name) if latest is not None else None


@admin.register(Loan)
class LoanAdmin(PartnerScopedAdmin):
    list_display = (
        "external_id",
        "partner",
        "status",
        "balance",
        "latest_grade",
        "latest_probability_of_default",
        "latest_evaluated_at",
    )
    list_filter = ("status", LatestGradeFilter)
    list_select_related = ("partner", "latest")
    search_fields = ("external_id",)
    readonly_fields = (
        "latest_score",
        "latest_probability_of_default",
        "latest_grade",
        "latest_evaluated_at",
        "origination_score",
    )
    exclude = ("attributes",)  # encrypted: not shown in lists or forms
    change_list_template = "admin/portfolio/loan/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("latest")  # the change form shows it too

    @admin.display(description="latest score", ordering="latest__score")
    def latest_score(self, loan):
        return _latest(loan, "score")

    @admin.display(description="latest PD", ordering="latest__probability_of_default")
    def latest_probability_of_default(self, loan):
        return _latest(loan, "probability_of_default")

    @admin.display(description="latest grade", ordering="latest__grade")
    def latest_grade(self, loan):
        return _latest(loan, "grade")

    @admin.display(description="latest evaluated at", ordering="latest__evaluated_at")
    def latest_evaluated_at(self, loan):
        return _latest(loan, "evaluated_at")

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="portfolio_loan_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        from partners.models import Partner

        if not self.has_add_permission(request):
            raise PermissionDenied
        partners = (
            Partner.objects.all() if request.user.is_superuser else Partner.objects.filter(pk=request.user.partner_id)
        )
        form = LoanImportForm(request.POST or None, request.FILES or None, partners=partners)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_IMPORT_BYTES:
                errors = [f"At most {MAX_IMPORT_BYTES // (1024 * 1024)} MB per import."]
            else:
                try:
                    text = upload.read().decode("utf-8-sig")
                    count = loan_import_csv(partner=form.cleaned_data["partner"], csv_text=text, actor=request.user)
                    self.message_user(request, f"Imported {count} loans.", messages.SUCCESS)
                    return redirect("admin:portfolio_loan_changelist")
                except UnicodeDecodeError:
                    errors = ["The file is not UTF-8 text."]
                except ArgumentErrors as problems:
                    errors = [error.message for error in problems.errors]
                except ArgumentError as problem:
                    errors = [problem.message]
        return render(
            request,
            "admin/portfolio/loan/import.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "errors": errors,
                "title": "Import loans (nothing is imported while any row is wrong)",
                "opts": self.model._meta,
            },
        )


@admin.register(ReevaluationJob)
class ReevaluationJobAdmin(PartnerScopedAdmin):
    list_display = ("created", "partner", "status", "total", "done", "failed", "finished")
    readonly_fields = [f.name for f in ReevaluationJob._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(GradeBand)
class GradeBandAdmin(PartnerScopedAdmin):
    list_display = ("partner", "grade", "max_probability_of_default")


@admin.register(PortfolioSettings)
class PortfolioSettingsAdmin(PartnerScopedAdmin):
    list_display = ("partner", "early_warning_factor", "high_risk_grades")
    exclude = ("baseline",)
