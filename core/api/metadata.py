from django.urls import reverse
from rest_framework.metadata import BaseMetadata


class JSONAPIMetadata(BaseMetadata):
    """What `OPTIONS` answers: the endpoint, its methods and media types.

    Fields are not introspected here: the input and output serializers differ, so a field list
    guessed from one of them would mislead, and the OpenAPI schema (/api/schema/) describes both.
    """

    def determine_metadata(self, request, view):
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "allowedMethods": view.allowed_methods,
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": reverse("schema"),
        }
