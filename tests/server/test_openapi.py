"""/openapi.json: a valid OpenAPI 3.1 document describing every route the app serves."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate
from server_support import Gate, Served, settings, teams
from starlette.routing import Route

from flowgen.checkpoint import MemoryCheckpointer
from flowgen.server import create_app
from flowgen.server.openapi import OPERATIONS, document
from flowgen.server.openapi import served as answered


def undocumented(routes: list[object], doc: dict[str, object]) -> list[tuple[str, str]]:
    paths = doc["paths"]
    assert isinstance(paths, dict)
    return [(m, p) for m, p in answered(routes) if m.lower() not in paths.get(p, {})]  # type: ignore[arg-type]


async def test_the_document_is_valid_openapi_31_and_lists_every_route(served: Served) -> None:
    response = await served.client.get("/openapi.json", headers=served.headers())
    assert response.status_code == 200
    doc = response.json()
    validate(doc)  # raises on anything the OpenAPI 3.1 schema refuses
    assert doc["openapi"] == "3.1.0"
    routes = list(served.client._transport.app.routes)  # type: ignore[attr-defined]
    assert len(list(answered(routes))) >= 13
    assert undocumented(routes, doc) == []
    assert {"/threads/search", "/threads/{thread_id}/copy", "/openapi.json"} <= set(doc["paths"])
    assert doc["paths"]["/threads/{thread_id}"]["delete"]["responses"]["204"]


async def test_bodies_come_from_the_models_and_the_key_is_the_security_scheme(served: Served) -> None:
    doc = (await served.client.get("/openapi.json", headers=served.headers())).json()
    schemas = doc["components"]["schemas"]
    create = doc["paths"]["/threads"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create == {"$ref": "#/components/schemas/NewThread"}
    assert set(schemas["NewThread"]["properties"]) == {"thread_id", "metadata"}
    assert set(schemas["ThreadSearch"]["properties"]) == {"metadata", "status", "limit", "offset"}
    assert schemas["ThreadSearch"]["properties"]["status"]["anyOf"][0]["enum"] == [
        "idle",
        "busy",
        "interrupted",
    ]
    run = doc["paths"]["/threads/{thread_id}/runs/wait"]["post"]
    assert run["requestBody"]["required"] is True
    assert (
        "agent"
        in schemas[run["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]][
            "properties"
        ]
    )
    assert doc["components"]["securitySchemes"] == {
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    }
    assert doc["security"] == [{"ApiKey": []}]
    assert doc["paths"]["/health"]["get"]["security"] == []
    assert "429" in doc["paths"]["/threads"]["get"]["responses"]
    path_params = doc["paths"]["/threads/{thread_id}/copy"]["post"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in path_params] == [("thread_id", "path", True)]


async def test_the_document_needs_a_key_like_every_api_route(served: Served) -> None:
    response = await served.client.get("/openapi.json")
    assert response.status_code == 401 and response.json()["error"]["code"] == "missing_api_key"


async def test_without_auth_the_document_has_no_security(tmp_path: Path) -> None:
    app = create_app(
        teams(Gate()), settings(tmp_path, api_keys=[], insecure_no_auth=True), MemoryCheckpointer()
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        doc = (await client.get("/openapi.json")).json()
    await app.state.flowgen.directory.aclose()
    validate(doc)
    assert "security" not in doc and "securitySchemes" not in doc["components"]


async def test_a_route_added_without_docs_is_caught(tmp_path: Path) -> None:
    app = create_app(teams(Gate()), settings(tmp_path), MemoryCheckpointer())
    await app.state.flowgen.directory.aclose()

    async def extra(request: object) -> None: ...

    app.router.routes.append(Route("/threads/{thread_id}/extra", extra, methods=["PUT"]))
    doc = document(app.routes, "X-API-Key", keyed=True)
    assert undocumented(app.routes, doc) == [("PUT", "/threads/{thread_id}/extra")]


def test_every_documented_operation_has_a_summary() -> None:
    assert all(op.summary.strip() for op in OPERATIONS.values())


async def test_thread_responses_fit_their_documented_schemas(served: Served) -> None:
    from jsonschema import Draft202012Validator

    doc = (await served.client.get("/openapi.json", headers=served.headers())).json()

    def check(method: str, path: str, status: int, body: object) -> None:
        content = doc["paths"][path][method]["responses"][str(status)]["content"]["application/json"]
        schema = {**content["schema"], "components": doc["components"]}
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(body)]
        assert errors == [], (method, path, errors)

    h = served.headers()
    made = await served.client.post("/threads", headers=h, json={"thread_id": "t", "metadata": {"a": [1]}})
    check("post", "/threads", 201, made.json())
    run = await served.client.post(
        "/threads/t/runs/wait", headers=h, json={"agent": "write_review", "input": "go"}
    )
    assert run.status_code == 200
    check("get", "/threads/{thread_id}", 200, (await served.client.get("/threads/t", headers=h)).json())
    check("get", "/threads", 200, (await served.client.get("/threads", headers=h)).json())
    check(
        "post",
        "/threads/search",
        200,
        (await served.client.post("/threads/search", headers=h, json={})).json(),
    )
    copied = await served.client.post("/threads/t/copy", headers=h, json={})
    check("post", "/threads/{thread_id}/copy", 201, copied.json())
    refusal = await served.client.get("/threads/nope", headers=h)
    check("get", "/threads/{thread_id}", 404, refusal.json())
    bad = {**made.json(), "status": "sleeping"}
    with pytest.raises(AssertionError):  # the check itself can fail
        check("post", "/threads", 201, bad)
