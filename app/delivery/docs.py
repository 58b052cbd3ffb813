"""The API's documentation: the OpenAPI document flask-smorest generates (`/api/v1/openapi.json`) and a page
for people rendered from it on the server (`/api/v1/docs`): no script, nothing from another site, so the app's
strict Content-Security-Policy holds. Neither needs an API key.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template

from app.delivery import problems

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")
_SPEC = "droits_connect_openapi"
METHODS = ("get", "post", "put", "patch", "delete")


def register(app: Flask, spec: Any) -> None:
    """Serve `spec` (flask-smorest's apispec.APISpec) and its page."""
    app.extensions[_SPEC] = spec
    app.register_blueprint(bp)


def _document() -> dict[str, Any]:
    return current_app.extensions[_SPEC].to_dict()


@bp.get("/openapi.json")
def openapi():
    return jsonify(_document())


@bp.get("/docs")
def page():
    document = _document()
    return render_template("delivery/docs.html", document=document, operations=operations(document),
                           schemas=schemas(document), problems=problems.CATALOGUE.values())


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation with its parameters and responses, in the document's order."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                found.append({
                    "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [*item.get("parameters", []), *operation.get("parameters", [])],
                    "responses": [_response(document, status, response)
                                  for status, response in operation.get("responses", {}).items()],
                })
    return found


def _response(document: dict[str, Any], status: str, response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return {"status": status, "description": response.get("description", ""),
            "content": [{"media_type": media_type, "schema": _type(content.get("schema", {})),
                         "named": "$ref" in content.get("schema", {})}
                        for media_type, content in response.get("content", {}).items()]}


def schemas(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each named schema with its properties: name, type, required, description."""
    found = []
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", []))
        found.append({"name": name, "description": schema.get("description", ""), "properties": [
            {"name": prop, "type": _type(definition), "required": prop in required,
             "description": definition.get("description", ""), "enum": definition.get("enum")}
            for prop, definition in schema.get("properties", {}).items()]})
    return found


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema:
        return " or ".join(_type(option) for option in schema["anyOf"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"object of {_type(schema['additionalProperties'])}"
    return kind + (f" ({schema['format']})" if "format" in schema else "")
