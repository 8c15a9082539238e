"""Components as JSON or YAML text and files (YAML needs the ``yaml`` extra, PyYAML)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from flowgen.core.component_config import dump_component, load_component
from flowgen.errors import ComponentConfigError

Format = Literal["json", "yaml"]


def component_text(component: Any, format: Format = "json") -> str:
    """``component`` dumped as JSON (indented, keys in config order) or YAML."""
    data = dump_component(component).model_dump(mode="json")
    if format == "json":
        return json.dumps(data, indent=2) + "\n"
    yaml = _yaml()
    return str(yaml.dump(data, Dumper=_exact_dumper(yaml), sort_keys=False, allow_unicode=True))


def _exact_dumper(yaml: Any) -> Any:
    """A safe dumper writing every string that is not plain text double-quoted.

    PyYAML's other styles fold line breaks and drop spaces around them on some inputs; a
    double-quoted string escapes every character, so it loads back exactly.
    """

    class ExactDumper(yaml.SafeDumper):  # type: ignore[misc,name-defined]
        pass

    def text(dumper: Any, value: str) -> Any:
        plain = bool(value) and value.isprintable() and value == value.strip()
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else '"')

    ExactDumper.add_representer(str, text)
    return ExactDumper


def _yaml() -> Any:
    try:
        import yaml
    except ImportError as e:  # pragma: no cover - the yaml extra is in dev
        raise ComponentConfigError("", "YAML needs PyYAML: pip install 'flowgen[yaml]'") from e
    return yaml


def parse_component_text(text: str, format: Format = "json") -> Mapping[str, Any]:
    """The data of a component document; a syntax error names the line."""
    try:
        data = json.loads(text) if format == "json" else _yaml().safe_load(text)
    except json.JSONDecodeError as e:
        raise ComponentConfigError("", f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from e
    except Exception as e:
        if format == "yaml" and type(e).__module__.startswith("yaml"):
            raise ComponentConfigError("", f"not valid YAML: {e}") from e
        raise
    if not isinstance(data, Mapping):
        raise ComponentConfigError(
            "", f"a component document is an object with provider and config, not {type(data).__name__}"
        )
    return data


def file_format(path: Path) -> Format:
    return "yaml" if path.suffix.lower() in (".yaml", ".yml") else "json"


def load_component_file(
    path: str | Path, *, allowed_providers: Sequence[str] = (), trust_source_code: bool = False
) -> Any:
    """Load the component a ``.json``, ``.yaml`` or ``.yml`` file describes (see load_component)."""
    path = Path(path)
    data = parse_component_text(path.read_text(encoding="utf-8"), file_format(path))
    return load_component(data, allowed_providers=allowed_providers, trust_source_code=trust_source_code)


def save_component_file(component: Any, path: str | Path) -> None:
    """Write ``component`` to ``path`` as JSON, or YAML for ``.yaml``/``.yml``."""
    path = Path(path)
    path.write_text(component_text(component, file_format(path)), encoding="utf-8")
