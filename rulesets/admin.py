"""Rulesets in the admin: the list, each ruleset's versions, and the decision-table editor (editor.py)."""

from django.contrib import admin
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_POST

from core.admin_mixins import PartnerScopedAdmin

from . import editor
from .models import Ruleset, RulesetVersionStatus


@admin.register(Ruleset)
class RulesetAdmin(PartnerScopedAdmin):
    list_display = ("name", "purpose", "partner", "published_version", "draft_version")
    list_filter = ("purpose",)
    search_fields = ("name",)
    fields = ("partner", "name", "purpose", "description", "versions_table", "edit_rules")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # rulesets are created through the API or by uploading a DMN file

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Published")
    def published_version(self, obj):
        version = obj.versions.filter(status=RulesetVersionStatus.PUBLISHED).order_by("-number").first()
        return f"v{version.number}" if version else "-"

    @admin.display(description="Draft")
    def draft_version(self, obj):
        version = obj.versions.filter(status=RulesetVersionStatus.DRAFT).order_by("-number").first()
        return f"v{version.number}" if version else "-"

    @admin.display(description="Versions")
    def versions_table(self, obj):
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">v{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:rulesets_ruleset_editor", args=[v.pk]),
                    v.number,
                    v.get_status_display(),
                    f"{timezone.localtime(v.effective_from):%Y-%m-%d %H:%M:%S}" if v.effective_from else "-",
                    v.author,
                    v.approver or "-",
                    v.change_note or "",
                )
                for v in obj.versions.select_related("author", "approver").order_by("-number")
            ),
        )
        return format_html(
            '<table class="ruleset-versions"><thead><tr><th>Version</th><th>Status</th>'
            "<th>Effective from</th><th>Author</th><th>Approver</th><th>Change note</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Rules")
    def edit_rules(self, obj):
        return format_html(
            '<button type="submit" form="open-editor" class="button" id="open-editor-button">{}</button>'
            '<p class="help">Opens the draft or the version in review; when the latest version is '
            "published, editing starts a new draft of it.</p>",
            "Open the rule editor",
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field here is read-only: the rules change in the editor, so there is nothing to save.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "open_editor_url": reverse("admin:rulesets_ruleset_open_editor", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        def wrap(view, method):
            def bound(request, *args, **kwargs):
                if not self.has_view_permission(request):
                    raise editor.Http404("No such ruleset.")
                return view(self, request, *args, **kwargs)

            return self.admin_site.admin_view(method(bound))

        own = [
            path(
                "<uuid:ruleset_id>/open-editor/",
                wrap(editor.open_editor, require_POST),
                name="rulesets_ruleset_open_editor",
            ),
            path(
                "version/<uuid:version_id>/editor/",
                wrap(editor.editor_page, require_GET),
                name="rulesets_ruleset_editor",
            ),
            path(
                "version/<uuid:version_id>/editor/save/",
                wrap(editor.save_draft, require_POST),
                name="rulesets_ruleset_editor_save",
            ),
            path(
                "version/<uuid:version_id>/editor/mapping/",
                wrap(editor.save_mapping, require_POST),
                name="rulesets_ruleset_editor_mapping",
            ),
            path(
                "version/<uuid:version_id>/editor/validate/",
                wrap(editor.validate, lambda view: view),
                name="rulesets_ruleset_editor_validate",
            ),
            path(
                "version/<uuid:version_id>/editor/test-run/",
                wrap(editor.test_run, require_POST),
                name="rulesets_ruleset_editor_test_run",
            ),
            path(
                "version/<uuid:version_id>/editor/submit/",
                wrap(editor.submit, require_POST),
                name="rulesets_ruleset_editor_submit",
            ),
            path(
                "version/<uuid:version_id>/editor/approve/",
                wrap(editor.approve, require_POST),
                name="rulesets_ruleset_editor_approve",
            ),
            path(
                "version/<uuid:version_id>/editor/reject/",
                wrap(editor.reject, require_POST),
                name="rulesets_ruleset_editor_reject",
            ),
        ]
        return own + super().get_urls()
