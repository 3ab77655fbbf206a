"""`page[number]` / `page[size]`, documented as the JSON:API document they produce."""

from drf_spectacular_jsonapi.schemas.pagination import JsonApiPageNumberPagination

from core.exceptions import ArgumentErrors, ParameterError


class PageNumberPagination(JsonApiPageNumberPagination):
    """At most 200 a page. A page number or size out of range is a 400 naming it, not a guess."""

    page_size = 50
    max_page_size = 200
    last_page_strings = ()

    def paginate_queryset(self, queryset, request, view=None):
        errors = []
        for name, maximum in ((self.page_query_param, None), (self.page_size_query_param, self.max_page_size)):
            value = request.query_params.get(name)
            if value is None:
                continue
            if not (value.isascii() and value.isdigit() and int(value) >= 1):
                errors.append(ParameterError(name, f"{value!r} is not a positive whole number."))
            elif maximum is not None and int(value) > maximum:
                errors.append(ParameterError(name, f"At most {maximum}."))
        if errors:
            raise ArgumentErrors(errors)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", "minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = (
                    f"Resources per page (default {self.page_size}, at most {self.max_page_size})."
                )
        return parameters


class LargePagePagination(PageNumberPagination):
    """For lists that belong to one object (a model's fields): normally one page."""

    page_size = 500
    max_page_size = 1000
