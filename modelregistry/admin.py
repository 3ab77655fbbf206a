import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core import safe_xml
from core.admin_mixins import PartnerScopedAdmin, ScopedChoicesMixin
from core.exceptions import ArgumentError, ArgumentErrors
from decisioning import explanations
from decisioning.selectors import model_global_importance
from rulesets import selectors as ruleset_selectors
from rulesets import services as ruleset_services
from rulesets.models import RulesetVersion

from . import dictionary_csv, engines, selectors, services
from .models import DataDictionaryField, PredictiveModel, PredictiveModelField


class DataDictionaryImportForm(forms.Form):
    file = forms.FileField(help_text="CSV: " + ", ".join(dictionary_csv.COLUMNS) + ". All rows are imported or none.")


@admin.register(DataDictionaryField)
class DataDictionaryFieldAdmin(admin.ModelAdmin):
    list_display = ("name", "label", "data_type", "unit", "display_format", "protected", "minimum", "maximum")
    list_filter = ("data_type", "display_format", "protected")
    search_fields = ("name", "label", "description")
    actions = ["export_csv"]
    change_list_template = "admin/modelregistry/datadictionaryfield/change_list.html"

    @admin.action(description="Export the selected entries as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(
            dictionary_csv.write_rows(queryset.order_by("name")), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="data_dictionary.csv"'
        return response

    def get_urls(self):
        return [
            path(
                "import/", self.admin_site.admin_view(self.import_view), name="modelregistry_datadictionaryfield_import"
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DataDictionaryImportForm(request.POST or None, request.FILES or None)
        row_errors = []
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read(dictionary_csv.MAX_BYTES + 1).decode("utf-8-sig")
                result = services.data_dictionary_import_csv(text=text, actor=request.user)
            except UnicodeDecodeError:
                form.add_error("file", "The file is not UTF-8 text.")
            except ArgumentErrors as errors:
                row_errors = [(f"row {error.field[1]}, {error.field[2]}", error.message) for error in errors.errors]
            except ArgumentError as error:
                form.add_error("file", error.message)
            else:
                self.message_user(
                    request,
                    f"Imported: {len(result.created)} added, {len(result.updated)} updated, "
                    f"{len(result.unchanged)} unchanged.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:modelregistry_datadictionaryfield_changelist"))
        return render(
            request,
            "admin/modelregistry/datadictionaryfield/import.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "form": form,
                "row_errors": row_errors,
                "title": "Import data dictionary entries from CSV",
            },
        )

    def get_readonly_fields(self, request, obj=None):
        # A concept's name and type are what mapped models rely on.
        return ("name", "data_type") if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            services.data_dictionary_field_update(field=obj, actor=request.user, changed=form.changed_data)
        else:
            created = services.data_dictionary_field_create(
                actor=request.user, **{name: form.cleaned_data[name] for name in form.cleaned_data}
            )
            obj.pk = created.pk


UPLOAD_FIELDS = ("partner", "name", "description", "artifact_file", "allow_reference_engine")


class PredictiveModelUploadForm(forms.ModelForm):
    artifact_file = forms.FileField(
        help_text="A PMML or DMN XML file, or an Excel rule workbook (.xlsx). Uploading a name again makes a "
        "new version."
    )

    class Meta:
        model = PredictiveModel
        fields = ("partner", "name", "description", "allow_reference_engine")

    def clean_artifact_file(self):
        upload = self.cleaned_data["artifact_file"]
        if upload.size > safe_xml.MAX_DOCUMENT_BYTES:
            raise ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {safe_xml.MAX_DOCUMENT_BYTES:,} bytes."
            )
        raw = upload.read()
        self.source_name = upload.name
        if engines.is_workbook(raw):
            return raw  # an Excel workbook: converted to DMN by the service
        try:
            return safe_xml.decode(raw)  # the door's decoding: what it checks later is this text
        except safe_xml.XMLRefused as error:
            raise ValidationError(
                f"The file is neither XML (PMML, DMN) nor an Excel workbook (.xlsx): {error}."
            ) from None


class PredictiveModelFieldInline(ScopedChoicesMixin, admin.TabularInline):
    model = PredictiveModelField
    fields = ("name", "field_type", "data_type", "allowed_values", "supported_field", "protected_use_allowed_by")
    readonly_fields = ("name", "field_type", "data_type", "allowed_values", "protected_use_allowed_by")
    extra = 0
    can_delete = False
    ordering = ("field_type", "position")

    def has_add_permission(self, request, obj=None):
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The admin wraps the widget (add/view buttons) after formfield_for_foreignkey: unwrap it here.
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "supported_field":
            # Mapping chooses among the dictionary's entries: named and labelled, with no "add"
            # or "view" buttons beside the choice (entries are added by CSV on /dictionary/).
            field.label = "Data dictionary field"
            field.empty_label = "— not mapped —"
            field.label_from_instance = lambda entry: f"{entry.name} ({entry.label})" if entry.label else entry.name
            field.widget = getattr(field.widget, "widget", field.widget)
        return field


@admin.register(PredictiveModel)
class PredictiveModelAdmin(PartnerScopedAdmin):
    list_display = ("name", "version", "engine", "status", "partner", "created_by", "created")
    list_filter = ("engine", "status", "partner")
    search_fields = ("name", "sha256")
    readonly_fields = (
        "partner",
        "name",
        "version",
        "engine",
        "status",
        "sha256",
        "warnings_list",
        "allow_reference_engine",
        "source_format",
        "source_name",
        "source_sha256",
        "source_download",
        "created_by",
        "created",
        "artifact_text",
        "model_card_display",
        "global_importance_display",
    )
    fields = (
        "partner",
        "name",
        "version",
        "engine",
        "status",
        "description",
        "sha256",
        "warnings_list",
        "allow_reference_engine",
        "source_format",
        "source_name",
        "source_sha256",
        "source_download",
        "created_by",
        "created",
        "model_card_display",
        "global_importance_display",
        "artifact_text",
    )
    inlines = [PredictiveModelFieldInline]
    actions = ["retire"]

    @admin.display(description="Model card")
    def model_card_display(self, obj):
        card = getattr(obj, "model_card", None)
        if not card:
            return "-"
        cv = card.get("metrics", {}).get("crossValidation", {})
        headline = format_html(
            "<p><strong>{}</strong> on {} rows ({} bad): AUC {}, KS {}, Gini {}, Brier {} ({}-fold CV)</p>",
            card.get("algorithm", ""),
            card.get("data", {}).get("rows", "?"),
            card.get("data", {}).get("badRows", "?"),
            f"{cv.get('auc', 0):.3f}",
            f"{cv.get('ks', 0):.3f}",
            f"{cv.get('gini', 0):.3f}",
            f"{cv.get('brier', 0):.4f}",
            cv.get("folds", "?"),
        )
        warnings = format_html_join(
            "", '<p class="errornote">Warning: {}</p>', ((warning,) for warning in card.get("warnings", []))
        )
        features = format_html("<p>Features: {}</p>", ", ".join(card.get("features", [])))
        body = format_html(
            '<details><summary>Full model card (JSON)</summary><pre style="max-height:32em;'
            'overflow:auto;font-size:12px">{}</pre></details>',
            json.dumps(card, indent=2),
        )
        return format_html("{}{}{}{}", headline, warnings, features, body)

    @admin.display(description="Global importance")
    def global_importance_display(self, obj):
        """Mean |contribution| per field over the partner's explained evaluations of this version."""
        if obj is None or obj.pk is None or obj.engine != "pmml":
            return "-"
        importance = model_global_importance(partner=obj.partner, model=obj)
        if importance is None:
            return "No explained evaluations yet (a tree ensemble needs a development sample)."
        rows = explanations.labelled({"contributions": importance["rows"], "scale": importance["scale"]}, top=15)
        shown = [{"label": row["label"], "value": row["value"]} for row in rows["shown"]]
        chart = explanations.importance_chart_svg(shown, title=f"Mean |contribution| of {obj}")
        source = (
            f"over the latest {importance['count']} explained evaluations"
            if importance["source"] == "evaluations"
            else f"over {importance['count']} rows of the development sample"
        )
        table = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td style="text-align:right">{}</td></tr>',
            ((row["label"], f"{row['value']:.4f}") for row in rows["rows"]),
        )
        return format_html(
            '<div class="global-importance"><p>Mean |contribution| ({}) {}.</p>{}<details><summary>As a table</summary>'
            "<table><thead><tr><th>Field</th><th>Mean |contribution|</th></tr></thead><tbody>{}</tbody></table>"
            "</details></div>",
            rows["scale_text"],
            source,
            chart,
            table,
        )

    @admin.display(description="Warnings")
    def warnings_list(self, obj):
        if not obj.warnings:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((w,) for w in obj.warnings)))

    @admin.display(description="Artifact")
    def artifact_text(self, obj):
        return format_html(
            '<pre style="max-height:32em;overflow:auto;white-space:pre;font-size:12px">{}</pre>', obj.artifact
        )

    @admin.display(description="Uploaded file")
    def source_download(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        link = format_html(
            '<a href="{}">Download {}</a>',
            reverse("admin:modelregistry_predictivemodel_source", args=[obj.pk]),
            obj.get_source_format_display(),
        )
        if obj.engine != "dmn":
            return link
        exports = [
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:modelregistry_predictivemodel_export", args=[obj.pk, export_format]),
                label,
            )
            for export_format, label in (("dmn", "DMN XML"), ("xlsx", "Excel workbook"))
        ]
        return format_html("{} · Export as {} or {}", link, exports[0], exports[1])

    def get_urls(self):
        own = [
            path(
                "<uuid:pk>/source/",
                self.admin_site.admin_view(self.source_view),
                name="modelregistry_predictivemodel_source",
            ),
            path(
                "<uuid:pk>/export/<str:export_format>/",
                self.admin_site.admin_view(self.export_view),
                name="modelregistry_predictivemodel_export",
            ),
        ]
        return own + super().get_urls()

    def source_view(self, request, pk):
        model = self.get_queryset(request).filter(pk=pk).first()
        if model is None or not self.has_view_permission(request, model):
            raise Http404("No such model.")
        content, content_type, filename = selectors.predictive_model_source(model=model)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def export_view(self, request, pk, export_format):
        model = self.get_queryset(request).filter(pk=pk).first()
        if model is None or not self.has_view_permission(request, model):
            raise Http404("No such model.")
        try:
            content, content_type, filename = selectors.predictive_model_export(
                model=model, export_format=export_format
            )
        except ArgumentError as error:
            self.message_user(request, f"Not exported: {error.message}", level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:modelregistry_predictivemodel_change", args=[model.pk]))
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PredictiveModelUploadForm
            kwargs["fields"] = UPLOAD_FIELDS
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return UPLOAD_FIELDS if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if not request.user.is_superuser and request.user.partner_id:
            initial.setdefault("partner", request.user.partner_id)
        return initial

    def save_model(self, request, obj, form, change):
        if change:
            # only the description is edited here: the artifact never changes, and a version is
            # retired through the retire action
            if "description" in form.changed_data:
                services.predictive_model_describe(
                    model=obj, description=form.cleaned_data["description"], actor=request.user
                )
            return
        partner = form.cleaned_data["partner"]
        if not request.user.is_superuser and partner.pk != request.user.partner_id:
            raise ValidationError("You can register models for your own partner only.")
        upload = form.cleaned_data["artifact_file"]
        content = {"workbook": upload} if isinstance(upload, bytes) else {"artifact": upload}
        created = ruleset_services.artifact_upload(
            partner=partner,
            name=form.cleaned_data["name"],
            description=form.cleaned_data.get("description", ""),
            source_name=getattr(form, "source_name", ""),
            allow_reference_engine=form.cleaned_data.get("allow_reference_engine", False),
            created_by=request.user,
            **content,
        )
        if isinstance(created, RulesetVersion):
            # DMN rules are a draft until a rule approver approves them and they are published.
            request._ruleset_draft = created
            loaded = ruleset_selectors.ruleset_version_loaded(created)
            for warning in getattr(loaded, "warnings", ()):  # e.g. variables a table reads that nothing declares
                self.message_user(request, f"{created}: {warning}", level=messages.WARNING)
            return
        obj.pk, obj.version, obj.engine = created.pk, created.version, created.engine
        obj._state.adding = False
        for warning in created.warnings:  # e.g. variables a DMN table reads that nothing declares
            self.message_user(request, f"{created}: {warning}", level=messages.WARNING)

    def log_addition(self, request, obj, message):
        if getattr(request, "_ruleset_draft", None) is None:  # a draft's record is its ruleset transition
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        draft = getattr(request, "_ruleset_draft", None)
        if draft is None:
            unmapped = list(obj.fields.filter(supported_field__isnull=True).values_list("name", flat=True))
            response = super().response_add(request, obj, post_url_continue)
            if unmapped and "_addanother" not in request.POST:
                # What the uploader does next is map these: the model's page, where the mapping is.
                self.message_user(
                    request,
                    f"Map {', '.join(unmapped)} onto the data dictionary below: unmapped inputs cannot be "
                    "given, and unmapped results are returned under the model's own names.",
                    level=messages.WARNING,
                )
                return HttpResponseRedirect(reverse("admin:modelregistry_predictivemodel_change", args=[obj.pk]))
            return response
        self.message_user(
            request,
            f"Saved as draft version {draft.number} of the ruleset “{draft.ruleset.name}”. Map its columns onto "
            "the data dictionary and submit it for review: the rules reach decisions once a rule approver "
            "approves the version and it is published.",
            level=messages.SUCCESS,
        )
        if request.user.has_perm("rulesets.view_ruleset"):
            return HttpResponseRedirect(reverse("admin:rulesets_ruleset_editor", args=[draft.pk]))
        return HttpResponseRedirect(reverse("admin:modelregistry_predictivemodel_changelist"))

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ArgumentError as error:
            self.message_user(request, f"Not registered: {error.message}", level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_formset(self, request, form, formset, change):
        # save(commit=False) writes nothing; it records what changed, which the admin's change
        # message reads (new_objects, changed_objects). The mapping itself goes through the service.
        formset.save(commit=False)
        for field_form in formset.forms:
            if "supported_field" in field_form.changed_data:
                target = field_form.cleaned_data.get("supported_field")
                try:
                    services.predictive_model_field_map(
                        field=field_form.instance,
                        supported_field_name=target.name if target else None,
                        actor=request.user,
                    )
                except ArgumentError as error:
                    self.message_user(request, f"{field_form.instance.name}: {error.message}", level=messages.ERROR)

    @admin.action(description="Retire the selected model versions")
    def retire(self, request, queryset):
        for model in queryset:
            services.predictive_model_retire(model=model, actor=request.user)
