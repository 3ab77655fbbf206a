"""One exception handler: domain exceptions become JSON:API error objects."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework_json_api.exceptions import Conflict as DocumentConflict
from rest_framework_json_api.exceptions import exception_handler as json_api_exception_handler
from rest_framework_json_api.utils import format_field_name

from core import exceptions as domain


class MalformedDocument(ParseError):
    """The request body is not a JSON:API document we accept; `pointer` names where (RFC 6901)."""

    def __init__(self, pointer, detail, *, code="invalid_document"):
        super().__init__(detail, code)
        self.pointer = pointer


def pointer(path):
    """RFC 6901: `("data", "attributes", "a/b")` -> "/data/attributes/a~1b".

    A lone surrogate in a member name is shown escaped (`\\ud800`): the error must itself be sendable.
    """
    parts = (str(part).encode("utf-8", "backslashreplace").decode() for part in path)
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def json_pointer(*parts):
    return pointer(("data", "attributes", *parts))


def _error(status_code, code, title, detail, pointer=None, meta=None):
    error = {"status": str(status_code), "code": code, "title": title, "detail": detail}
    if pointer:
        error["source"] = {"pointer": pointer}
    if meta:
        error["meta"] = meta
    return error


def _argument_error(error):
    if isinstance(error, domain.HeaderError):
        problem = _error(400, error.code, "Invalid header", error.message)
        problem["source"] = {"header": error.field[0]}
        return problem
    if isinstance(error, domain.ParameterError):
        problem = _error(400, error.code, "Invalid query parameter", error.message)
        problem["source"] = {"parameter": error.field[0]}
        return problem
    return _error(400, error.code, "Invalid attribute", error.message, json_pointer(*error.field))


def _domain_errors(exc):
    if isinstance(exc, domain.ArgumentErrors):
        return status.HTTP_400_BAD_REQUEST, [_argument_error(e) for e in exc.errors]
    if isinstance(exc, domain.ArgumentError):
        return status.HTTP_400_BAD_REQUEST, [_argument_error(exc)]
    if isinstance(exc, domain.NotFound):
        return status.HTTP_404_NOT_FOUND, [_error(404, exc.code, "Not found", exc.message)]
    if isinstance(exc, domain.NotPermitted):
        return status.HTTP_403_FORBIDDEN, [_error(403, exc.code, "Not permitted", exc.message)]
    if isinstance(exc, domain.Conflict):
        return status.HTTP_409_CONFLICT, [_error(409, exc.code, "Conflict", exc.message)]
    if isinstance(exc, domain.ServiceUnavailable):
        return status.HTTP_503_SERVICE_UNAVAILABLE, [_error(503, exc.code, "Service unavailable", exc.message)]
    if isinstance(exc, domain.EngineError):
        meta = {"insightId": str(exc.insight_id)} if exc.insight_id else None
        if exc.location:
            meta = {**(meta or {}), "location": exc.location}
        return (
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            [_error(422, exc.code, "The model could not be evaluated", exc.message, meta=meta)],
        )
    return None


def _request_errors(exc):
    """Errors about the request as a whole, before any serializer: the body's size and shape."""
    if isinstance(exc, MalformedDocument):
        error = _error(400, exc.detail.code, "Malformed document", str(exc.detail))
        error["source"] = {"pointer": exc.pointer}
        return status.HTTP_400_BAD_REQUEST, [error]
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        error = _error(
            413,
            "too_large",
            "Request body too large",
            f"The request body is larger than the limit of {limit:,} bytes.",
            meta={"limitBytes": limit},
        )
        error["source"] = {"header": "Content-Length"}
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, [error]
    return None


def _nested_validation_errors(exc):
    """Errors inside an attribute's items (a list's member, a nested object's key), each with its pointer.

    The library only frames `{field: [messages]}`; an error keyed by an item's position (e.g. a
    ListField's child) would reach it as a dict and fail (a 500). None when nothing is nested.
    """
    detail = exc.detail
    if not isinstance(detail, dict) or not any(isinstance(value, dict) for value in detail.values()):
        return None
    errors = []

    def walk(value, path):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, (*path, str(key)))
        elif isinstance(value, list):
            for inner in value:
                walk(inner, path)
        else:
            field = () if path[:1] == ("non_field_errors",) else (format_field_name(path[0]), *path[1:])
            where = json_pointer(*field) if field else "/data"
            errors.append(_error(400, getattr(value, "code", "invalid"), "Invalid attribute", str(value), where))

    walk(detail, ())
    return errors


def exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        nested = _nested_validation_errors(exc)
        if nested:
            context["view"].resource_name = "errors"
            return Response(nested, status=status.HTTP_400_BAD_REQUEST)
    request_errors = _request_errors(exc)
    if request_errors is not None:
        status_code, errors = request_errors
        context["view"].resource_name = "errors"
        return Response(errors, status=status_code)
    if isinstance(exc, domain.DomainError):
        status_code, errors = _domain_errors(exc) or (400, [_error(400, exc.code, "Error", exc.message)])
        context["view"].resource_name = "errors"
        headers = {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, domain.ServiceUnavailable) else None
        return Response(errors, status=status_code, headers=headers)
    response = json_api_exception_handler(exc, context)
    about_the_document = isinstance(exc, (ValidationError, ParseError, DocumentConflict))
    if response is not None and not about_the_document and isinstance(response.data, list):
        # The library points every error at "/data"; a refused token or a missing page has no place
        # in a request document (a GET has none), so it names none.
        for error in response.data:
            if isinstance(error, dict) and error.get("source") == {"pointer": "/data"}:
                del error["source"]
    return response
