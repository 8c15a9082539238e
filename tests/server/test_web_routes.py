"""The web view's routes in-process: pages without a key under a strict CSP, static files, the graph SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from server_support import Served, settings

from flowgen.checkpoint import SqliteCheckpointer
from flowgen.server import create_app
from graphs import write_review

PAGES = ["/ui", "/ui/threads/any-thread"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_need_no_key_and_allow_only_their_own_origin(served: Served, path: str) -> None:
    response = await served.client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    page = response.text
    assert '<meta name="flowgen-api-key-header" content="X-API-Key">' in page
    assert '<meta name="flowgen-auth" content="on">' in page
    assert "<script>" not in page and "style=" not in page  # nothing inline: the CSP would block it
    assert "http://" not in page and "https://" not in page  # nothing fetched from elsewhere


async def test_static_files_are_the_packaged_ones(served: Served) -> None:
    for name, media in [
        ("thread.js", "text/javascript"),
        ("sse.js", "text/javascript"),
        ("web.css", "text/css"),
    ]:
        response = await served.client.get(f"/ui/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media), name
    report = await served.client.get("/ui/static/report.css")
    assert ".fg-hl" in report.text  # visualize's report stylesheet, shared with the HTML report
    for missing in ["nope.js", "thread.html", "..%2Fapp.py"]:
        refused = await served.client.get(f"/ui/static/{missing}")
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found", missing


async def test_root_leads_to_the_web_view(served: Served) -> None:
    response = await served.client.get("/")
    assert response.status_code == 307 and response.headers["location"] == "/ui"


async def test_graph_svg_names_each_node(served: Served) -> None:
    response = await served.client.get("/agents/write_review/graph.svg", headers=served.headers())
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)
    named = sorted(el.get("data-node", "") for el in root.iter() if el.get("data-node"))
    assert named == ["critic", "writer"]
    again = await served.client.get("/agents/write_review/graph.svg", headers=served.headers())
    assert again.text == response.text


async def test_graph_svg_asks_for_a_key_and_a_known_agent(served: Served) -> None:
    anonymous = await served.client.get("/agents/write_review/graph.svg")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "missing_api_key"
    unknown = await served.client.get("/agents/nobody/graph.svg", headers=served.headers())
    assert unknown.status_code == 404 and "write_review" in unknown.json()["error"]["message"]


async def test_pages_without_keys_say_so_to_their_scripts(tmp_path: Path) -> None:
    config = settings(tmp_path, api_keys=[], insecure_no_auth=True, api_key_header="X-Team-Key")
    store = SqliteCheckpointer(config.store)
    app = create_app({"write_review": write_review.build}, config, store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = (await client.get("/ui")).text
        svg = await client.get("/agents/write_review/graph.svg")
    app.state.flowgen.directory.close()
    await store.aclose()
    assert '<meta name="flowgen-auth" content="off">' in page
    assert '<meta name="flowgen-api-key-header" content="X-Team-Key">' in page
    assert svg.status_code == 200
