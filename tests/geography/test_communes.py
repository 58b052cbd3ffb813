"""The communes' look-ups on a small file shaped like the package's, and the start-up checks of its folder."""

from __future__ import annotations

import json

import pytest

from app.config_values import ConfigError
from app.geography import communes
from app.geography.settings import DEFAULT_PACKAGE_DIR, PACKAGE, load_geography_settings

ENTRIES = [
    {"code": "75056", "nom": "Paris", "departement": "75", "type": "commune-actuelle",
     "codesPostaux": ["75007", "75116"]},
    {"code": "75107", "nom": "Paris 7e Arrondissement", "departement": "75", "type": "arrondissement-municipal",
     "commune": "75056", "codesPostaux": ["75007"]},
    {"code": "95500", "nom": "Pontoise", "departement": "95", "type": "commune-actuelle", "codesPostaux": ["95300"]},
    {"code": "95211", "nom": "Ennery", "departement": "95", "type": "commune-actuelle", "codesPostaux": ["95300"]},
    {"code": "95308", "nom": "Hérouville-en-Vexin", "departement": "95", "type": "commune-actuelle",
     "codesPostaux": ["95300"]},
    {"code": "01015", "nom": "Arboys en Bugey", "departement": "01", "type": "commune-actuelle",
     "codesPostaux": ["01300"]},
    {"code": "01015", "nom": "Arbignieu", "departement": "01", "type": "commune-deleguee", "chefLieu": "01015"},
    {"code": "2A004", "nom": "Ajaccio", "departement": "2A", "type": "commune-actuelle", "anciensCodes": ["20004"],
     "codesPostaux": ["20000"]},
]


def package(tmp_path, entries=ENTRIES, name=PACKAGE, version="6.0.0"):
    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "communes.json").write_text(json.dumps(entries), encoding="utf-8")
    (tmp_path / "package.json").write_text(json.dumps({"name": name, "version": version}), encoding="utf-8")
    return tmp_path


def test_an_address_offers_the_current_communes_of_its_postal_code_in_french_order():
    data = communes.Communes(ENTRIES, version="6.0.0")
    assert [c.name for c in data.for_postal_code("95300")] == ["Ennery", "Hérouville-en-Vexin", "Pontoise"]
    assert [c.code for c in data.for_postal_code("75007")] == ["75056"]  # Paris, not its arrondissement
    assert data.for_postal_code("75999") == () and data.current("75107") is None


def test_a_birth_place_reads_as_the_commune_of_its_code():
    data = communes.Communes(ENTRIES, version="6.0.0")
    assert data.birth_place("75107") == "Paris 7e Arrondissement (75)"
    assert data.birth_place("2A004") == data.birth_place("20004") == "Ajaccio (2A)"
    # The code the merged commune kept names, for a birth, the former commune, with what it is today.
    assert data.birth_place("01015") == "Arbignieu (aujourd’hui Arboys en Bugey, 01)"
    assert data.birth_place("99999") is None


@pytest.mark.parametrize("entries", [[{"code": "1"}], [{"code": 1, "nom": "x", "type": "commune-actuelle"}], {}])
def test_a_file_not_shaped_like_the_package_s_is_refused(tmp_path, entries):
    folder = package(tmp_path, entries)
    with pytest.raises(communes.GeographyDataError):
        communes.load(folder / "data" / "communes.json", version="x")


def test_the_package_folder_is_checked_at_start_up(tmp_path):
    settings = load_geography_settings({"COMMUNES_PACKAGE_DIR": str(package(tmp_path))}, production=True)
    assert settings.version == "6.0.0" and settings.communes_file == tmp_path / "data" / "communes.json"
    with pytest.raises(ConfigError, match="COMMUNES_PACKAGE_DIR.*npm ci"):
        load_geography_settings({"COMMUNES_PACKAGE_DIR": str(tmp_path / "absent")}, production=False)
    other = package(tmp_path / "other", name="left-pad")
    with pytest.raises(ConfigError, match="not the manifest"):
        load_geography_settings({"COMMUNES_PACKAGE_DIR": str(other)}, production=True)


def test_without_the_data_production_refuses_and_development_types_the_commune(monkeypatch, tmp_path):
    monkeypatch.setattr("app.geography.settings.DEFAULT_PACKAGE_DIR", tmp_path / "none")
    with pytest.raises(ConfigError, match="COMMUNES_PACKAGE_DIR"):
        load_geography_settings({}, production=True)
    assert load_geography_settings({}, production=False).package_dir is None


def test_the_installed_package_is_the_one_package_lock_pins():
    lock = json.loads((DEFAULT_PACKAGE_DIR.parent.parent.parent / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/@etalab/decoupage-administratif"]["version"]
    settings = load_geography_settings({}, production=False)
    if settings.package_dir is None:
        pytest.skip("npm ci has not run")
    assert settings.version == pinned


def test_the_service_refuses_to_start_on_a_broken_communes_file(make_app, tmp_path):
    folder = package(tmp_path / "pkg", [{"code": "75056"}])  # no name, no type
    with pytest.raises(ConfigError, match="COMMUNES_PACKAGE_DIR: a commune entry lacks"):
        make_app(COMMUNES_PACKAGE_DIR=str(folder))
