from rest_framework_json_api.pagination import JsonApiPageNumberPagination


class PageNumberPagination(JsonApiPageNumberPagination):
    """`page[number]` / `page[size]`, at most 200 a page."""

    page_size = 50
    max_page_size = 200


class LargePagePagination(JsonApiPageNumberPagination):
    """For lists that belong to one object (a model's fields): normally one page."""

    page_size = 500
    max_page_size = 1000
