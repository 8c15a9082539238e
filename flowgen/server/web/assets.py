"""The web view's files: read once from the package, served with headers that keep pages to their own origin.

Pages get a strict Content-Security-Policy: scripts, styles and connections only from the server
itself, no inline script, no frames. The report stylesheet is visualize's own, so a served thread
and a saved HTML report look alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from importlib import resources

from flowgen.errors import RequestError

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
PAGES = ("index.html", "thread.html")


@dataclass(frozen=True, slots=True)
class Asset:
    body: str
    media_type: str


class Assets:
    """The static files by name (``report.css`` is visualize's), and the pages filled with the key header."""

    __slots__ = ("_files", "_pages")

    def __init__(self, api_key_header: str, auth: bool) -> None:
        folder = resources.files("flowgen.server.web") / "static"
        self._files: dict[str, Asset] = {}
        for entry in folder.iterdir():
            suffix = "." + entry.name.rpartition(".")[2]
            if entry.is_file() and suffix in MEDIA_TYPES and entry.name not in PAGES:
                self._files[entry.name] = Asset(entry.read_text(encoding="utf-8"), MEDIA_TYPES[suffix])
        report_css = resources.files("visualize") / "templates" / "report.css"
        self._files["report.css"] = Asset(report_css.read_text(encoding="utf-8"), "text/css")
        # The pages learn how to send the key from two meta tags: configuration, not data.
        fill = {"{{api_key_header}}": escape(api_key_header), "{{auth}}": "on" if auth else "off"}
        self._pages: dict[str, str] = {}
        for page in PAGES:
            text = (folder / page).read_text(encoding="utf-8")
            for placeholder, value in fill.items():
                text = text.replace(placeholder, value)
            self._pages[page] = text

    def file(self, name: str) -> Asset:
        found = self._files.get(name)
        if found is None:
            raise RequestError(404, "not_found", f"no static file {name!r}; the web view starts at /ui")
        return found

    def page(self, name: str) -> str:
        return self._pages[name]
