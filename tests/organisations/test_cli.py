"""`flask organisations …` on a registry file in the test's instance folder."""

from __future__ import annotations

import re
import stat
import tomllib

import pytest

from app.model.organisation import Organisation, api_key_hash
from app.organisations.settings import DEMO_FILE

REGISTRY = """\
# Registry of the organisations (kept by the operations team).

[organisations.chu-x]
name = "CHU X"  # the legal name
kind = "hopital"
contact = "admissions@chu-x.fr"
return_urls = ["https://portail.chu-x.fr/retour"]
launch_secrets = [
    "old-launch-secret-of-chu-x-000000000000",  # given in 2025
]
api_key_hashes = []

[organisations.chu-x.branding]
display_name = "CHU X"

# A mutuelle without secrets yet.
[organisations.mutuelle-y]
name = "Mutuelle Y"
kind = "mutuelle"
contact = "adhesion@mutuelle-y.fr"
"""
OLD_SECRET = "old-launch-secret-of-chu-x-000000000000"


@pytest.fixture
def registry_file(tmp_path):
    path = tmp_path / "instance" / "organisations.toml"
    path.parent.mkdir()
    path.write_text(REGISTRY, encoding="utf-8")
    path.chmod(0o644)
    return path


@pytest.fixture
def runner(make_app, registry_file):
    return make_app().test_cli_runner()


def stored(path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))["organisations"]


def test_list_shows_the_organisations_without_their_secrets(runner):
    result = runner.invoke(args=["organisations", "list"])
    assert result.exit_code == 0, result.output
    assert "chu-x  hopital  CHU X" in result.output and "mutuelle-y  mutuelle  Mutuelle Y" in result.output
    assert "1 launch secret(s); 0 API key(s)" in result.output
    assert "https://portail.chu-x.fr/retour" in result.output
    assert OLD_SECRET not in result.output


def test_list_says_when_there_is_no_organisation(make_app):
    result = make_app().test_cli_runner().invoke(args=["organisations", "list"])
    assert result.exit_code == 0 and "No organisation registered" in result.output


def test_check_validates_the_registry(runner, registry_file, tmp_path):
    result = runner.invoke(args=["organisations", "check"])
    assert (result.exit_code, result.output.strip()) == (0, "OK: 2 organisation(s)")
    broken = tmp_path / "broken.toml"
    broken.write_text(REGISTRY.replace('kind = "hopital"', 'kind = "clinique"'))
    result = runner.invoke(args=["organisations", "check", "--file", str(broken)])
    assert result.exit_code == 1 and "organisation 'chu-x': kind must be one of" in result.output
    result = runner.invoke(args=["organisations", "check", "--file", str(tmp_path / "missing.toml")])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_new_secret_goes_first_and_keeps_the_comments(runner, registry_file):
    result = runner.invoke(args=["organisations", "new-secret", "chu-x"])
    assert result.exit_code == 0, result.output
    secrets = stored(registry_file)["chu-x"]["launch_secrets"]
    assert secrets[1] == OLD_SECRET and len(secrets) == 2
    assert secrets[0] in result.output.splitlines() and len(secrets[0]) >= 43  # 32 random bytes, url-safe
    assert OLD_SECRET not in result.output and "Rotation" in result.output
    text = registry_file.read_text(encoding="utf-8")
    for comment in ("# Registry of the organisations", "# the legal name", "# given in 2025",
                    "# A mutuelle without secrets yet."):
        assert comment in text
    assert stat.S_IMODE(registry_file.stat().st_mode) == 0o600
    assert [p.name for p in registry_file.parent.iterdir() if p.name.startswith(".organisations")] == []


def test_new_secret_on_an_organisation_without_secrets(runner, registry_file):
    assert runner.invoke(args=["organisations", "new-secret", "mutuelle-y"]).exit_code == 0
    assert len(stored(registry_file)["mutuelle-y"]["launch_secrets"]) == 1


def test_new_api_key_stores_only_its_hash(runner, registry_file):
    result = runner.invoke(args=["organisations", "new-api-key", "chu-x"])
    assert result.exit_code == 0, result.output
    key = re.search(r"^dc_live_\S+$", result.output, re.MULTILINE).group()
    hashes = stored(registry_file)["chu-x"]["api_key_hashes"]
    assert hashes == [api_key_hash(key)]
    assert key not in registry_file.read_text(encoding="utf-8")
    assert Organisation(id="chu-x", name="CHU X", kind="hopital", contact="c",
                        api_key_hashes=tuple(hashes)).verifies_api_key(key)
    assert stat.S_IMODE(registry_file.stat().st_mode) == 0o600


def test_revoke_api_key_removes_the_matching_hash(runner, registry_file):
    keys = [re.search(r"^dc_live_\S+$", runner.invoke(args=["organisations", "new-api-key", "chu-x"]).output,
                      re.MULTILINE).group() for _ in range(2)]
    first, second = (api_key_hash(key) for key in keys)
    result = runner.invoke(args=["organisations", "revoke-api-key", "chu-x", first[:20]])
    assert result.exit_code == 0, result.output
    assert stored(registry_file)["chu-x"]["api_key_hashes"] == [second]
    assert "# the legal name" in registry_file.read_text(encoding="utf-8")
    # Without the "sha256:" prefix too.
    assert runner.invoke(args=["organisations", "revoke-api-key", "chu-x", second[7:19]]).exit_code == 0
    assert stored(registry_file)["chu-x"]["api_key_hashes"] == []


def test_revoke_api_key_refuses_an_unknown_or_ambiguous_prefix(runner, registry_file):
    hashes = ["sha256:abcdef" + "0" * 58, "sha256:abcdef" + "1" * 58]
    registry_file.write_text(REGISTRY.replace("api_key_hashes = []", f"api_key_hashes = {hashes!r}".replace(
        "'", '"')))
    ambiguous = runner.invoke(args=["organisations", "revoke-api-key", "chu-x", "sha256:abcdef"])
    assert ambiguous.exit_code == 1 and "matches 2 API key hashes" in ambiguous.output
    unknown = runner.invoke(args=["organisations", "revoke-api-key", "chu-x", "sha256:fedcba"])
    assert unknown.exit_code == 1 and "no API key hash starts with" in unknown.output
    short = runner.invoke(args=["organisations", "revoke-api-key", "chu-x", "ab"])
    assert short.exit_code == 1 and "at least 6" in short.output
    assert stored(registry_file)["chu-x"]["api_key_hashes"] == hashes


def test_commands_refuse_an_unknown_organisation(runner, registry_file):
    for command in ("new-secret", "new-api-key"):
        result = runner.invoke(args=["organisations", command, "chu-z"])
        assert result.exit_code == 1 and "no organisation 'chu-z'" in result.output
    assert registry_file.read_text(encoding="utf-8") == REGISTRY


def test_an_edit_that_would_break_the_registry_is_not_written(runner, registry_file):
    # The file was edited by hand into an invalid state after the service started: nothing is written.
    registry_file.write_text(REGISTRY.replace('kind = "mutuelle"', 'kind = "mutuelle"\ncolour = "red"'))
    before = registry_file.read_text(encoding="utf-8")
    result = runner.invoke(args=["organisations", "new-secret", "chu-x"])
    assert result.exit_code == 1 and "left unchanged" in result.output and "colour" in result.output
    assert registry_file.read_text(encoding="utf-8") == before


def test_the_demo_registry_is_never_edited(make_app, tmp_path):
    before = DEMO_FILE.read_bytes()
    sandbox = make_app(SANDBOX=True).test_cli_runner()
    assert "chu-demo" in sandbox.invoke(args=["organisations", "list"]).output
    result = sandbox.invoke(args=["organisations", "new-secret", "chu-demo"])
    assert result.exit_code == 1 and "no registry at" in result.output
    pointed = make_app(ORGANISATIONS_FILE=str(DEMO_FILE)).test_cli_runner()
    result = pointed.invoke(args=["organisations", "new-api-key", "chu-demo"])
    assert result.exit_code == 1 and "demo registry is never edited" in result.output
    assert DEMO_FILE.read_bytes() == before
