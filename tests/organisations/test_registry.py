"""The registry's checks: every refusal names the organisation and the key, and never repeats a secret."""

from __future__ import annotations

import base64

import pytest

from app.config_values import ConfigError
from app.model.organisation import Branding, Webhook
from app.organisations import checks
from app.organisations.registry import load_registry, parse_registry
from tests.organisations.registries import (
    DROP,
    HOSPITAL,
    LAUNCH_SECRET,
    MUTUELLE,
    WEBHOOK_SECRET,
    registry,
    spoilt,
)


def parse(document, *, production=False, logos_dir=None):
    return parse_registry(document, origin="organisations.toml", production=production, logos_dir=logos_dir)


def refusal(entry, *, production=False, logos_dir=None) -> str:
    with pytest.raises(ConfigError) as raised:
        parse(registry(chu_x=entry), production=production, logos_dir=logos_dir)
    return str(raised.value)


def test_a_valid_registry_loads():
    organisations = parse(registry(chu_x=HOSPITAL, mutuelle_x=MUTUELLE))
    chu, mutuelle = organisations["chu-x"], organisations["mutuelle-x"]
    assert (chu.id, chu.journey, chu.siret, chu.retention_days) == ("chu-x", "preadmission", "12345678200010", 90)
    assert chu.return_urls == ("https://portail.chu-exemple.fr/droits-connect/retour",)
    assert chu.launch_secrets == (LAUNCH_SECRET,)
    assert chu.branding == Branding(display_name="CHU d’Exemple", accent_colour="#000091")
    assert chu.webhook == Webhook(url="https://si.chu-exemple.fr/webhooks/droits-connect", secret=WEBHOOK_SECRET)
    assert not chu.allow_unsigned and chu.ics is None
    # What is left out takes its default; the branding names the organisation as its name does.
    assert mutuelle.journey == "adhesion" and mutuelle.ics == "FR72ZZZ123456"
    assert mutuelle.sources == ("c2s", "cnam") and mutuelle.return_urls == () and mutuelle.webhook is None
    assert mutuelle.branding == Branding(display_name="Mutuelle d’Exemple")
    assert mutuelle.retention_days is None and mutuelle.dpo == "" and mutuelle.siret == ""
    assert mutuelle.delivered_retention_days == 7


def test_the_post_delivery_retention_is_per_organisation():
    chu = parse(registry(chu_x={**HOSPITAL, "delivered_retention_days": 2}))["chu-x"]
    assert chu.delivered_retention_days == 2


def test_an_empty_registry_has_no_organisation():
    assert parse({}) == {}
    assert parse({"organisations": {}}) == {}


def test_a_registry_file_loads(tmp_path):
    path = tmp_path / "organisations.toml"
    path.write_text('# Our partners\n[organisations.chu-x]\nname = "CHU X"\nkind = "hopital"\n'
                    'contact = "admissions@chu-x.fr"\nsources = ["cnam"]\n', encoding="utf-8")
    assert load_registry(path, production=True)["chu-x"].sources == ("cnam",)


def test_a_file_that_is_not_toml_is_refused(tmp_path):
    path = tmp_path / "organisations.toml"
    path.write_text('[organisations.chu-x]\nname = "CHU X\n')
    with pytest.raises(ConfigError, match="organisations.toml is not valid TOML"):
        load_registry(path, production=False)


@pytest.mark.parametrize("slug", ["CHU-X", "chu_x", "chu x", "", "c" * 41, "chu.x"])
def test_a_bad_slug_is_refused(slug):
    with pytest.raises(ConfigError, match="organisation identifier .* must be 1-40 lowercase"):
        parse({"organisations": {slug: HOSPITAL}})


@pytest.mark.parametrize(("key", "value", "message"), [
    ("name", DROP, "'chu-x': name is missing"),
    ("name", "  ", "'chu-x': name must be a non-empty string"),
    ("contact", DROP, "'chu-x': contact is missing"),
    ("kind", "clinique", "'chu-x': kind must be one of hopital, mutuelle"),
    ("siret", "12345678200011", "'chu-x': siret must be a valid SIRET"),
    ("siret", "1234567820001", "'chu-x': siret must be a valid SIRET"),
    ("siret", 12345678200010, "'chu-x': siret must be a non-empty string"),
    ("sources", ["c2s", "impots"], r"'chu-x': sources\[1\] must be one of c2s, cnam"),
    ("sources", ["cnam", "cnam"], "'chu-x': sources lists the same value twice"),
    ("sources", "c2s", "'chu-x': sources must be a list"),
    ("allow_unsigned", "yes", "'chu-x': allow_unsigned must be true or false"),
    ("retention_days", 0, "'chu-x': retention_days must be a whole number"),
    ("retention_days", True, "'chu-x': retention_days must be a whole number"),
    ("retention_days", 30.5, "'chu-x': retention_days must be a whole number"),
    ("delivered_retention_days", 0, "'chu-x': delivered_retention_days must be a whole number"),
    ("delivered_retention_days", "7", "'chu-x': delivered_retention_days must be a whole number"),
    ("api_key_hashes", ["sha256:" + "A" * 64], r"'chu-x': api_key_hashes\[0\] must be \"sha256:\""),
    ("api_key_hashes", ["md5:" + "a" * 32], r"'chu-x': api_key_hashes\[0\] must be \"sha256:\""),
])
def test_each_bad_value_is_refused(key, value, message):
    assert refusal(spoilt(HOSPITAL, key, value)).startswith("organisations.toml: ")
    with pytest.raises(ConfigError, match=message):
        parse(registry(chu_x=spoilt(HOSPITAL, key, value)))


@pytest.mark.parametrize(("url", "reason"), [
    ("http://portail.chu-exemple.fr/retour", "must use https"),
    ("https://user:pass@portail.chu-exemple.fr/retour", "user name or password"),
    ("https://user@portail.chu-exemple.fr/retour", "user name or password"),
    ("https://portail.chu-exemple.fr/retour?from=dc", "query string"),
    ("https://portail.chu-exemple.fr/retour?", "query string"),
    ("https://portail.chu-exemple.fr/retour#fin", "fragment"),
    ("https://Portail.CHU-exemple.fr/retour", "lowercase host"),
    ("https://portail.chu-exemple.fr", "explicit path"),
    ("https://portail.chu-exemple.fr:99999/retour", "invalid port"),
    ("portail.chu-exemple.fr/retour", "absolute https URL"),
    ("javascript:alert(1)", "absolute https URL"),
    ("https://portail.chu-exemple.fr/re tour", "without spaces"),
])
def test_each_bad_return_url_is_refused(url, reason):
    message = refusal(spoilt(HOSPITAL, "return_urls", ["https://ok.chu-exemple.fr/retour", url]))
    assert "'chu-x': return_urls[1]" in message and reason in message


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5001/portail/retour", "http://localhost:8000/retour", "http://[::1]:8000/retour",
    "https://portail.chu-exemple.fr/", "https://portail.chu-exemple.fr:8443/Retour/Droits",
])
def test_good_return_urls_are_kept_as_written(url):
    assert parse(registry(chu_x=spoilt(HOSPITAL, "return_urls", [url])))["chu-x"].return_urls == (url,)


@pytest.mark.parametrize(("url", "reason"), [
    ("http://si.chu-exemple.fr/webhooks", "must use https"),
    ("https://si.chu-exemple.fr/webhooks?token=1", "query string"),
    ("https://si.chu-exemple.fr/webhooks#x", "fragment"),
    ("https://u:p@si.chu-exemple.fr/webhooks", "user name"),
])
def test_each_bad_webhook_url_is_refused(url, reason):
    message = refusal(spoilt(HOSPITAL, "webhook.url", url))
    assert "'chu-x': webhook.url" in message and reason in message


def test_a_short_launch_secret_is_refused_without_being_shown():
    message = refusal(spoilt(HOSPITAL, "launch_secrets", [LAUNCH_SECRET, "short-secret-of-31-characters!!"]))
    assert "'chu-x': launch_secrets[1] must be at least 32 bytes" in message
    assert "short-secret" not in message and LAUNCH_SECRET not in message
    assert parse(registry(chu_x=spoilt(HOSPITAL, "launch_secrets", ["x" * 32])))["chu-x"].launch_secrets


@pytest.mark.parametrize("secret", ["whsec_" + "c2hvcnQ=", "whsec_not base64!", "secret_" + WEBHOOK_SECRET[6:],
                                    WEBHOOK_SECRET[6:]])
def test_a_bad_webhook_secret_is_refused_without_being_shown(secret):
    message = refusal(spoilt(HOSPITAL, "webhook.secret", secret))
    assert "'chu-x': webhook.secret must be a Standard Webhooks secret" in message and secret not in message


def test_a_webhook_needs_its_url_and_secret():
    assert "'chu-x': webhook.secret is missing" in refusal(spoilt(HOSPITAL, "webhook.secret", DROP))
    assert "'chu-x': webhook.url is missing" in refusal(spoilt(HOSPITAL, "webhook.url", DROP))


@pytest.mark.parametrize(("colour", "accepted"), [
    ("#000091", True), ("#E1000F", True), ("#767676", True),  # 14.9, 5.0 and 4.54:1
    ("#ffff00", False), ("#777777", False), ("#6a6af4", False),  # 1.07, 4.48 and 4.22:1
])
def test_an_accent_colour_needs_a_contrast_of_4_5_with_white(colour, accepted):
    entry = spoilt(HOSPITAL, "branding.accent_colour", colour)
    if accepted:
        assert parse(registry(chu_x=entry))["chu-x"].branding.accent_colour == colour.lower()
    else:
        assert "'chu-x': branding.accent_colour" in refusal(entry) and "WCAG" in refusal(entry)


def test_contrast_follows_the_wcag_formula():
    assert checks.contrast_with_white("#000000") == pytest.approx(21)
    assert checks.contrast_with_white("#ffffff") == pytest.approx(1)


@pytest.mark.parametrize("colour", ["000091", "#009", "#00009g", "blue"])
def test_an_accent_colour_must_be_written_rrggbb(colour):
    assert "'chu-x': branding.accent_colour must be a colour written" in refusal(
        spoilt(HOSPITAL, "branding.accent_colour", colour))


@pytest.mark.parametrize("logo", ["../secret.png", "logos/chu.png", "chu.gif", ".hidden.png"])
def test_a_logo_is_a_file_name_of_an_image(logo):
    assert "'chu-x': branding.logo must be a file name" in refusal(spoilt(HOSPITAL, "branding.logo", logo))


def test_a_logo_must_be_in_the_logos_folder(tmp_path):
    entry = spoilt(HOSPITAL, "branding.logo", "chu-x.svg")
    assert "'chu-x': branding.logo names chu-x.svg" in refusal(entry, logos_dir=tmp_path)
    (tmp_path / "chu-x.svg").write_text("<svg/>")
    assert parse(registry(chu_x=entry), logos_dir=tmp_path)["chu-x"].branding.logo == "chu-x.svg"


@pytest.mark.parametrize(("ics", "reason"), [
    ("FR73ZZZ123456", "wrong check digits"),
    ("FR72ZZZ123457", "wrong check digits"),
    ("DE72ZZZ123456", "French SEPA creditor identifier"),
    ("FR72ZZZ12345", "French SEPA creditor identifier"),
    ("fr72zzz123456", "French SEPA creditor identifier"),
])
def test_a_bad_ics_is_refused(ics, reason):
    with pytest.raises(ConfigError, match=f"'mutuelle-x': ics .*{reason}"):
        parse(registry(mutuelle_x=spoilt(MUTUELLE, "ics", ics)))


def test_the_ics_check_skips_the_business_code():
    # The business code (ZZZ by default) may change without changing the check digits.
    assert parse(registry(mutuelle_x=spoilt(MUTUELLE, "ics", "FR72ABC123456")))["mutuelle-x"].ics


def test_an_ics_on_a_hospital_is_refused():
    assert "'chu-x': ics is a SEPA creditor identifier" in refusal(spoilt(HOSPITAL, "ics", "FR72ZZZ123456"))


@pytest.mark.parametrize(("key", "where"), [
    ("retention_day", "[organisations.chu-x]"),
    ("branding.accent_color", "[organisations.chu-x.branding]"),
    ("webhook.secrets", "[organisations.chu-x.webhook]"),
])
def test_an_unknown_key_is_refused(key, where):
    message = refusal(spoilt(HOSPITAL, key, 1))
    assert f"{where} has unknown key(s) {key.rpartition('.')[2]}" in message


def test_an_unknown_top_level_key_is_refused():
    with pytest.raises(ConfigError, match="unknown top-level key"):
        parse({"organisation": {"chu-x": HOSPITAL}})


def test_a_sandbox_launch_secret_is_refused_in_production_only():
    entry = spoilt(HOSPITAL, "launch_secrets", [LAUNCH_SECRET, "chu-x-launch-secret-for-the-Sandbox-only-01"])
    assert parse(registry(chu_x=entry))["chu-x"].launch_secrets
    message = refusal(entry, production=True)
    assert "'chu-x': launch_secrets[1] is a sandbox secret" in message and "only-01" not in message
    assert parse(registry(chu_x=HOSPITAL), production=True)["chu-x"]


def test_a_sandbox_webhook_secret_is_refused_in_production_only():
    entry = spoilt(HOSPITAL, "webhook.secret", "whsec_" + "sandbox0" * 5)
    assert parse(registry(chu_x=entry))["chu-x"].webhook
    message = refusal(entry, production=True)
    assert "'chu-x': webhook.secret is a sandbox secret" in message and "sandbox0" not in message


def test_http_urls_other_than_loopback_are_refused_in_production_too():
    assert "must use https" in refusal(spoilt(HOSPITAL, "return_urls", ["http://chu.fr/retour"]), production=True)
    loopback = spoilt(HOSPITAL, "return_urls", ["http://127.0.0.1:8000/retour"])
    assert parse(registry(chu_x=loopback), production=True)["chu-x"].return_urls


def test_a_webhook_secret_rotates_with_previous_secrets():
    old = "whsec_" + base64.b64encode(b"o" * 32).decode()
    rotating = {**HOSPITAL, "webhook": {**HOSPITAL["webhook"], "previous_secrets": [old]}}
    webhook = parse(registry(chu_x=rotating))["chu-x"].webhook
    assert webhook.secrets == (WEBHOOK_SECRET, old) and old not in repr(webhook)
    repeated = {**HOSPITAL, "webhook": {**HOSPITAL["webhook"], "previous_secrets": [WEBHOOK_SECRET]}}
    assert "webhook.previous_secrets" in refusal(repeated) and WEBHOOK_SECRET not in refusal(repeated)
    weak = {**HOSPITAL, "webhook": {**HOSPITAL["webhook"], "previous_secrets": ["whsec_short"]}}
    assert "webhook.previous_secrets[0]" in refusal(weak)
