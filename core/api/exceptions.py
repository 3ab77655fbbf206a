"""One exception handler: domain exceptions become JSON:API error objects."""
from rest_framework import status
from rest_framework.response import Response
from rest_framework_json_api.exceptions import exception_handler as json_api_exception_handler

from core import exceptions as domain


def json_pointer(*parts):
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "/data/attributes/" + "/".join(escaped)


def _error(status_code, code, title, detail, pointer=None, meta=None):
    error = {"status": str(status_code), "code": code, "title": title, "detail": detail}
    if pointer:
        error["source"] = {"pointer": pointer}
    if meta:
        error["meta"] = meta
    return error


def _argument_error(error):
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


def exception_handler(exc, context):
    if isinstance(exc, domain.DomainError):
        status_code, errors = _domain_errors(exc) or (400, [_error(400, exc.code, "Error", exc.message)])
        context["view"].resource_name = "errors"
        headers = {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, domain.ServiceUnavailable) else None
        return Response(errors, status=status_code, headers=headers)
    return json_api_exception_handler(exc, context)
