"""Small builders for the OpenAPI document: references, bodies, responses, operations."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
ERRORS = {
    400: "The input is invalid (Logto's `guard.invalid_input` and friends).",
    401: "The caller is not authenticated, or the account may not sign in.",
    403: "The caller may not do this.",
    404: "Not found.",
    409: "The request conflicts with the current state.",
    413: "The request body is too large.",
    415: "The request body is not JSON.",
    422: "The request is well-formed but cannot be processed (e.g. a value already in use).",
    429: "Too many messages were sent to this recipient; try again later.",
    501: "No email connector is configured.",
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def text(max_length: int = 256, min_length: int = 1, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length, **extra}


def array(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


def body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": schema}}}


def ok(description: str, schema: dict[str, Any] | None = None,
       headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {JSON: {"schema": schema}}
    if headers:
        response["headers"] = headers
    return response


def operation(op_id: str, summary: str, tag: str, success: dict[int, dict[str, Any]], errors: tuple[int, ...],
              *, request: dict[str, Any] | None = None, params: tuple[dict[str, Any], ...] = (),
              secured: bool = True, description: str | None = None) -> dict[str, Any]:
    """One operation; secured ones also answer 401 and 403 (Logto's management token check)."""
    codes = sorted({*errors, *((401, 403) if secured else ()), *((413,) if request else ())})
    result: dict[str, Any] = {
        "operationId": op_id, "summary": summary, "tags": [tag],
        "responses": {**{str(status): response for status, response in success.items()},
                      **{str(status): ok(ERRORS[status], ref("Error")) for status in codes}},
    }
    if description:
        result["description"] = description
    if request:
        result["requestBody"] = request
    if params:
        result["parameters"] = list(params)
    if not secured:
        result["security"] = []
    return result


def path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def query(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description, **extra}
