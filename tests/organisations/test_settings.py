"""Where the registry comes from: ORGANISATIONS_FILE, the sandbox's demo registry, or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.config_values import ConfigError
from app.organisations.registry import load_registry
from app.organisations.settings import DEMO_FILE, load_organisations, registry_path

ONE = '[organisations.chu-x]\nname = "CHU X"\nkind = "hopital"\ncontact = "admissions@chu-x.fr"\n'


def test_the_default_file_is_in_the_instance_folder(tmp_path):
    (tmp_path / "organisations.toml").write_text(ONE)
    assert list(load_organisations({}, sandbox=True, instance_path=str(tmp_path))) == ["chu-x"]


def test_the_file_may_be_relative_to_the_instance_folder_or_absolute(tmp_path):
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "registry.toml").write_text(ONE)
    relative = {"ORGANISATIONS_FILE": "partners/registry.toml"}
    assert list(load_organisations(relative, sandbox=False, instance_path=str(tmp_path))) == ["chu-x"]
    absolute = {"ORGANISATIONS_FILE": str(tmp_path / "partners" / "registry.toml")}
    assert list(load_organisations(absolute, sandbox=False, instance_path=None)) == ["chu-x"]
    assert registry_path(relative, None) is None


def test_without_a_file_the_sandbox_brings_the_demo_registry(tmp_path):
    organisations = load_organisations({}, sandbox=True, instance_path=str(tmp_path))
    chu, mutuelle = organisations["chu-demo"], organisations["mutuelle-demo"]
    assert (chu.journey, mutuelle.journey) == ("preadmission", "adhesion")
    assert chu.allow_unsigned and mutuelle.allow_unsigned and mutuelle.ics
    # The sandbox's demo portal, and the example portal of examples/portal (run beside make run).
    assert chu.return_urls == mutuelle.return_urls == ("http://127.0.0.1:5001/portail/retour",
                                                       "http://127.0.0.1:8765/retour")
    assert all("sandbox" in secret for o in organisations.values() for secret in o.launch_secrets)


def test_without_a_file_and_without_the_sandbox_there_is_no_organisation(tmp_path):
    assert load_organisations({}, sandbox=False, instance_path=str(tmp_path)) == {}
    assert load_organisations({}, sandbox=False, instance_path=str(tmp_path), production=True) == {}


def test_an_existing_file_wins_over_the_demo_registry_and_its_errors_stop_the_start(tmp_path):
    (tmp_path / "organisations.toml").write_text(ONE + "colour = 1\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_organisations({}, sandbox=True, instance_path=str(tmp_path))


def test_production_refuses_the_demo_registry(tmp_path):
    config = {"ORGANISATIONS_FILE": str(DEMO_FILE)}
    assert load_organisations(config, sandbox=False, instance_path=str(tmp_path))
    with pytest.raises(ConfigError, match="demo registry"):
        load_organisations(config, sandbox=False, instance_path=str(tmp_path), production=True)


def test_production_refuses_a_copy_of_the_demo_registry(tmp_path):
    # Its secrets say "sandbox": a copy is refused as surely as the packaged file.
    shutil.copy(DEMO_FILE, tmp_path / "organisations.toml")
    with pytest.raises(ConfigError, match="'chu-demo': launch_secrets\\[0\\] is a sandbox secret"):
        load_organisations({}, sandbox=False, instance_path=str(tmp_path), production=True)


def test_an_unreadable_registry_stops_the_start(tmp_path):
    (tmp_path / "organisations.toml").mkdir()
    with pytest.raises(ConfigError, match="cannot be read"):
        load_organisations({}, sandbox=True, instance_path=str(tmp_path))


def test_a_logo_is_looked_for_in_the_instance_logos_folder(tmp_path):
    (tmp_path / "organisations.toml").write_text(ONE + '[organisations.chu-x.branding]\nlogo = "chu-x.png"\n')
    with pytest.raises(ConfigError, match="branding.logo names chu-x.png"):
        load_organisations({}, sandbox=False, instance_path=str(tmp_path))
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "chu-x.png").write_bytes(b"\x89PNG")
    assert load_organisations({}, sandbox=False, instance_path=str(tmp_path))["chu-x"].branding.logo == "chu-x.png"


def test_the_committed_example_is_a_valid_production_registry(tmp_path):
    example = Path(__file__).resolve().parents[2] / "instance" / "organisations.example.toml"
    (tmp_path / "chu-exemple.svg").write_text("<svg/>")
    organisations = load_registry(example, production=True, logos_dir=tmp_path)
    assert sorted(organisations) == ["chu-exemple", "mutuelle-exemple"]
