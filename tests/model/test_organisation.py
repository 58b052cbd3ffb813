"""The Organisation value: defaults, secrets kept out of its repr, API keys checked against their hashes."""

from __future__ import annotations

from app.model.organisation import Branding, Organisation, Webhook, api_key_hash

KEY = "dc_live_a-key-given-to-the-organisation"


def test_an_organisation_is_built_from_its_name_kind_and_contacts():
    organisation = Organisation(id="chu-x", name="CHU X", kind="hopital", contact="c@chu-x.fr", dpo="d@chu-x.fr")
    assert organisation.journey == "preadmission"
    assert organisation.branding == Branding(display_name="CHU X")
    assert organisation.sources == ("c2s", "cnam") and not organisation.allow_unsigned


def test_secrets_stay_out_of_the_repr():
    organisation = Organisation(
        id="chu-x", name="CHU X", kind="hopital", contact="c", launch_secrets=("launch-secret-value-" * 2,),
        api_key_hashes=(api_key_hash(KEY),), webhook=Webhook(url="https://si.chu-x.fr/hook", secret="whsec_c2Vj"),
    )
    text = repr(organisation)
    assert "launch-secret-value" not in text and api_key_hash(KEY) not in text and "whsec_" not in text
    assert "https://si.chu-x.fr/hook" in text


def test_an_api_key_verifies_against_its_stored_hash_only():
    other = "dc_live_another-key"
    organisation = Organisation(id="chu-x", name="CHU X", kind="hopital", contact="c",
                                api_key_hashes=(api_key_hash(other), api_key_hash(KEY)))
    assert api_key_hash(KEY).startswith("sha256:") and len(api_key_hash(KEY)) == 7 + 64
    assert organisation.verifies_api_key(KEY) and organisation.verifies_api_key(other)
    assert not organisation.verifies_api_key(KEY + "x")
    assert not organisation.verifies_api_key(api_key_hash(KEY))  # the hash is not the key
    assert not Organisation(id="m", name="M", kind="mutuelle", contact="c").verifies_api_key(KEY)
