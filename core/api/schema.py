"""The OpenAPI schema says what the API really answers: JSON:API documents and every error status.

Each operation lists the error statuses it can return (one error document shape for all of them),
from what the shared pieces do: the parser (400, 413, 415, 409 for a wrong `type`), pagination and
filters (400, 404 past the last page), permissions (401, 403), lookups (404), and the limits and
failure handling every endpoint shares (429, 503); a view adds what only some actions return
(`extra_error_statuses`, e.g. 422 where an engine evaluates, 404 for an object named in the body).
"""

from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular_jsonapi.schemas.openapi import JsonApiAutoSchema

JSON_API = "application/vnd.api+json"

ERROR_DESCRIPTIONS = {
    400: "The request is malformed or invalid: one JSON:API error per problem, `source` naming the pointer, parameter or header.",
    401: "No valid credentials: send `Authorization: Token <key>`.",
    403: "Your role does not allow this.",
    404: "No such object for this partner (another partner's objects are never visible), or no such page.",
    409: "The document's `type` or `id` does not match the endpoint, or an Idempotency-Key was used with another request.",
    413: "The request body is larger than the limit.",
    415: "Send `Content-Type: application/vnd.api+json`.",
    422: "The model could not be evaluated; `meta.insightId` names the stored error record when there is one.",
    429: "Too many requests: wait for `Retry-After` seconds.",
    503: "A service the request needs is unavailable; nothing was written. Retry later.",
}
EVERY_OPERATION = (401, 403, 429, 503)

ERROR_DOCUMENT = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["status", "detail"],
                "properties": {
                    "status": {"type": "string", "description": "The HTTP status code, as a string."},
                    "code": {"type": "string"},
                    "title": {"type": "string"},
                    "detail": {"type": "string"},
                    "source": {
                        "type": "object",
                        "properties": {
                            "pointer": {
                                "type": "string",
                                "description": "JSON Pointer (RFC 6901) into the request document.",
                            },
                            "parameter": {"type": "string"},
                            "header": {"type": "string"},
                        },
                    },
                    "meta": {"type": "object", "additionalProperties": True},
                },
            },
        },
    },
}


def meta_document(properties, *, required=None, description="A report, not a resource: the whole answer is in `meta`."):
    """The schema of an answer that is a report in `meta` (no primary `data`), for `responses=`."""
    return {
        "type": "object",
        "description": description,
        "required": ["meta"],
        "properties": {
            "meta": {
                "type": "object",
                "required": list(required if required is not None else properties),
                "properties": properties,
            }
        },
    }


class AutoSchema(JsonApiAutoSchema):
    def get_sparse_fieldset_parameters(self):
        # Sparse fieldsets are not part of Creditbox's contract: the documented documents are whole.
        return {}

    def _map_basic_serializer(self, serializer, direction):
        # The library adds the resource object's `id` only when building for GET or PATCH, so a
        # component first built for a POST answer (201 of a create, 200 of an action) lacked it,
        # although every resource the API answers with has one.
        if direction == "response" and self.method == "POST":
            self.method = "GET"
            try:
                return super()._map_basic_serializer(serializer, direction)
            finally:
                self.method = "POST"
        return super()._map_basic_serializer(serializer, direction)

    def _get_request_body(self, direction="request"):
        # An action whose every attribute is optional (a transition's `note`) takes no body at all
        # as "no attributes"; a view names those (`body_optional_actions`), and the schema says so.
        request_body = super()._get_request_body(direction)
        if request_body and getattr(self.view, "action", None) in getattr(self.view, "body_optional_actions", ()):
            request_body.pop("required", None)
        return request_body

    def _error_statuses(self):
        statuses = set(EVERY_OPERATION)
        has_path_object = "{" in self.path
        if self.method == "GET":
            if self._is_list_view():
                statuses |= {400, 404}
            if has_path_object:
                statuses.add(404)
        elif self.method in ("POST", "PUT", "PATCH"):
            if has_path_object:
                statuses.add(404)
            if self.get_request_serializer() is not None:  # only a body that is read can be refused
                statuses |= {400, 409, 413, 415}
        elif self.method == "DELETE" and has_path_object:
            statuses.add(404)
        # A view names what only some of its actions return, e.g. {"create": {422}} where an engine runs.
        statuses |= set(getattr(self.view, "extra_error_statuses", {}).get(getattr(self.view, "action", None), ()))
        return sorted(statuses)

    def _error_document_ref(self):
        component = ResolvedComponent(
            name="ErrorDocument", type=ResolvedComponent.SCHEMA, schema=ERROR_DOCUMENT, object="ErrorDocument"
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            responses.setdefault(
                str(status),
                {
                    "content": {JSON_API: {"schema": self._error_document_ref()}},
                    "description": ERROR_DESCRIPTIONS[status],
                },
            )
        return responses

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if isinstance(serializer, dict):
            # A raw schema (a whole document, e.g. a report in `meta`): the JSON:API framing does not apply.
            return super(JsonApiAutoSchema, self)._get_response_for_code(
                serializer, status_code, media_types, direction
            )
        return super()._get_response_for_code(serializer, status_code, media_types, direction)
