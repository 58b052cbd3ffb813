"""The organisations this deployment serves: the registry file ORGANISATIONS_FILE, or the sandbox's demo registry.

ORGANISATIONS_FILE is absolute or relative to the instance folder (default: organisations.toml there). When it
does not exist, the sandbox brings the packaged demo registry (demo.toml) and any other deployment serves no
organisation. Production refuses the demo registry and any sandbox secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.config_values import ConfigError, as_str
from app.model.organisation import Organisation
from app.organisations.registry import load_registry

DEFAULTS: dict[str, Any] = {
    "ORGANISATIONS_FILE": None,  # None = organisations.toml in the instance folder
}
DEFAULT_FILE = "organisations.toml"
DEMO_FILE = Path(__file__).resolve().parent / "demo.toml"
LOGOS_DIR = "logos"


def load_organisations(config: Mapping, *, sandbox: bool, instance_path: str | None,
                       production: bool = False) -> dict[str, Organisation]:
    """The registered organisations by identifier; any error in the registry refuses the start."""
    path = registry_path(config, instance_path)
    if path is not None and path.exists():
        return load_registry_file(path, production=production, instance_path=instance_path)
    if sandbox:
        return load_registry(DEMO_FILE, production=production)
    return {}


def load_registry_file(path: Path, *, production: bool, instance_path: str | None) -> dict[str, Organisation]:
    """The organisations of the registry at `path`, its logos looked for in the instance folder's logos/."""
    if production and is_demo(path):
        raise ConfigError(f"{path} is the sandbox's demo registry, refused in production")
    logos = Path(instance_path) / LOGOS_DIR if instance_path is not None else None
    return load_registry(path, production=production, logos_dir=logos)


def registry_path(config: Mapping, instance_path: str | None) -> Path | None:
    """Where the registry file is (whether or not it exists); None when a relative path has no instance folder."""
    value = as_str(config, "ORGANISATIONS_FILE") or DEFAULT_FILE
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    return Path(instance_path) / path if instance_path is not None else None


def is_demo(path: Path) -> bool:
    """Whether `path` is the packaged demo registry, which nothing edits and production refuses."""
    try:
        return path.resolve() == DEMO_FILE or path.samefile(DEMO_FILE)
    except OSError:
        return False
