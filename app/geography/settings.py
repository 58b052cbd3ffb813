"""Where the communes' data is read from: Etalab's `@etalab/decoupage-administratif` npm package, installed by
`npm ci` (make assets) and never committed. Its folder is checked at start-up: production refuses to start
without it; development and tests fall back to a free-text commune and say so in the log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config_values import ConfigError, as_str

PACKAGE = "@etalab/decoupage-administratif"
_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_PACKAGE_DIR = _ROOT / "node_modules" / "@etalab" / "decoupage-administratif"
COMMUNES_FILE = Path("data") / "communes.json"

DEFAULTS: dict[str, Any] = {
    "COMMUNES_PACKAGE_DIR": None,  # None = node_modules/@etalab/decoupage-administratif of this checkout
}


@dataclass(frozen=True)
class GeographySettings:
    package_dir: Path | None  # None: the data is absent (development and tests only); the commune is typed
    version: str | None = None  # the package's version, recorded with every address chosen from it

    @property
    def communes_file(self) -> Path | None:
        return self.package_dir / COMMUNES_FILE if self.package_dir else None


def load_geography_settings(config: Mapping, *, production: bool) -> GeographySettings:
    configured = as_str(config, "COMMUNES_PACKAGE_DIR")
    package_dir = Path(configured) if configured else DEFAULT_PACKAGE_DIR
    manifest, problem = _manifest(package_dir)
    if problem is None:
        return GeographySettings(package_dir=package_dir, version=str(manifest["version"]))
    if production or configured:
        # A folder named on purpose must be right; production never falls back to a typed commune.
        raise ConfigError(f"COMMUNES_PACKAGE_DIR: {problem} (install {PACKAGE} with `npm ci`, or point "
                          "COMMUNES_PACKAGE_DIR at its folder)")
    return GeographySettings(package_dir=None)


def _manifest(package_dir: Path) -> tuple[dict, None] | tuple[None, str]:
    """The package's manifest, read once, or what is wrong with the folder."""
    manifest = package_dir / "package.json"
    if not manifest.is_file() or not (package_dir / COMMUNES_FILE).is_file():
        return None, f"{package_dir} does not hold {PACKAGE} (package.json and {COMMUNES_FILE})"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, f"{manifest} is not readable JSON"
    if not isinstance(data, dict) or data.get("name") != PACKAGE or not isinstance(data.get("version"), str):
        return None, f"{manifest} is not the manifest of {PACKAGE}"
    return data, None
