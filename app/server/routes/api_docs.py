"""/docs: the REST API's reference, rendered on the server from the app's OpenAPI document.

FastAPI's Swagger UI loads its JavaScript from a CDN, which this app never does; this page is plain HTML built
from app.openapi() (the same document /openapi.json serves): every operation with its method, path, summary,
parameters, request body and responses, and the schemas they refer to as readable JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from app.server.deps import Templates

router = APIRouter()

METHODS = ("get", "post", "put", "patch", "delete")
SCHEMA_REF = re.compile(r"&#34;#/components/schemas/([A-Za-z0-9_.-]+)&#34;")


def as_json(value: Any) -> Markup:
    """value as indented JSON, HTML-escaped, with every schema reference a link to that schema on the page."""
    text = str(escape(json.dumps(value, indent=2, ensure_ascii=False)))
    return Markup(SCHEMA_REF.sub(r'<a href="#schema-\1">&#34;#/components/schemas/\1&#34;</a>', text))


def operations(spec: dict) -> list[dict]:
    """Every operation of the document, in its order, in the shape the template shows."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in (m for m in METHODS if m in item):
            operation = item[method]
            body = operation.get("requestBody", {})
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "anchor": operation.get("operationId", f"{method}-{path}"),
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {**parameter, "schema_json": as_json(parameter.get("schema", {}))}
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": {
                        "description": body.get("description", ""),
                        "required": body.get("required", False),
                        "content": {
                            kind: as_json(media.get("schema", {})) for kind, media in body.get("content", {}).items()
                        },
                    }
                    if body
                    else None,
                    "responses": [
                        {
                            "status": status,
                            "description": response.get("description", ""),
                            "content": {
                                kind: as_json(media.get("schema", {}))
                                for kind, media in response.get("content", {}).items()
                            },
                        }
                        for status, response in operation.get("responses", {}).items()
                    ],
                }
            )
    return found


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request, templates: Templates) -> HTMLResponse:
    """The REST API reference as a server-rendered page (no JavaScript, nothing from a CDN)."""
    spec = request.app.openapi()
    schemas = {name: as_json(schema) for name, schema in spec.get("components", {}).get("schemas", {}).items()}
    context = {"info": spec.get("info", {}), "operations": operations(spec), "schemas": schemas}
    return templates.TemplateResponse(request, "api_docs.html", context)
