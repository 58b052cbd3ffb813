"""Signed launch links: every rule has a hostile case that passes only while the rule is there."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OctKey

from app.model.organisation import Organisation
from app.organisations.launch import LAUNCH_MAX_LIFETIME, LaunchRefused, verify_launch
from tests.portal import DEMO_RETURN_URL, DEMO_SECRETS, launch_token

AUDIENCE = "https://droits.example"
NOW = 1_900_000_000.0
TODAY = dt.date.fromtimestamp(NOW)
SECRET = DEMO_SECRETS["chu-demo"]
CHU = Organisation(id="chu-demo", name="CHU", kind="hopital", contact="a@b.example",
                   return_urls=(DEMO_RETURN_URL,), launch_secrets=(SECRET,))
MUTUELLE = Organisation(id="mutuelle-demo", name="Mutuelle", kind="mutuelle", contact="a@b.example",
                        return_urls=(DEMO_RETURN_URL,), launch_secrets=(DEMO_SECRETS["mutuelle-demo"],))


class Ledger:
    def __init__(self):
        self.used = set()

    def use(self, org, jti, expires_at):
        if (org, jti) in self.used:
            return False
        self.used.add((org, jti))
        return True


def verify(token, organisation=CHU, ledger=None, now=NOW):
    return verify_launch(token, organisation, audience=AUDIENCE, now=now, use_once=(ledger or Ledger()).use,
                         today=TODAY)


def token(org="chu-demo", **claims):
    return launch_token(org, audience=AUDIENCE, now=NOW, **claims)


def refused(token_value, organisation=CHU, **kwargs) -> str:
    with pytest.raises(LaunchRefused) as raised:
        verify(token_value, organisation, **kwargs)
    return raised.value.reason


def unsigned(claims: dict, header: dict) -> str:
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def test_a_valid_launch_gives_the_portals_values():
    stay = {"date": (TODAY + dt.timedelta(days=10)).isoformat(), "service": "Chirurgie  orthopédique",
            "type": "hospitalisation_complete"}
    launch = verify(token(ref="ADM-1", stay=stay))
    assert (launch.organisation, launch.reference, launch.return_url) == ("chu-demo", "ADM-1", DEMO_RETURN_URL)
    assert (launch.stay_date, launch.stay_service, launch.stay_type) == (
        stay["date"], "Chirurgie orthopédique", "hospitalisation_complete")


def test_a_mutuelle_offer():
    offer = {"code": "EQ-2", "label": "Formule Équilibre", "start_date": (TODAY + dt.timedelta(days=30)).isoformat()}
    launch = verify(token("mutuelle-demo", offer=offer), MUTUELLE)
    assert (launch.offer_code, launch.offer_label, launch.offer_start) == ("EQ-2", "Formule Équilibre",
                                                                          offer["start_date"])


def test_every_secret_verifies_for_rotation_and_a_wrong_key_does_not():
    rotated = Organisation(**{**CHU.__dict__, "launch_secrets": ("new-secret-" + "n" * 32, SECRET)})
    assert verify(token(), rotated).organisation == "chu-demo"
    assert refused(token(secret="another-secret-" + "x" * 32)) == "bad_signature"
    assert refused(token(), Organisation(**{**CHU.__dict__, "launch_secrets": ()})) == "no_launch_secret"


def test_a_tampered_token_is_refused():
    header, payload, signature = token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["ref"] = "SOMEONE-ELSE"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert refused(f"{header}.{forged}.{signature}") == "bad_signature"


CLAIMS = {"iss": "chu-demo", "aud": AUDIENCE, "iat": int(NOW), "exp": int(NOW) + 60, "jti": "j" * 16, "ref": "R",
          "return_url": DEMO_RETURN_URL}


@pytest.mark.parametrize("header", [{"alg": "none"}, {"alg": "HS512"}, {"alg": "RS256"}, {"alg": "ES256"},
                                    {"alg": "hs256"}])
def test_only_hs256_is_accepted(header):
    assert refused(unsigned(CLAIMS, header)) == "algorithm_not_allowed"
    # Even with a signature made with the secret under that name: the algorithm is pinned before any key.
    assert refused(hand_signed(CLAIMS, header)) == "algorithm_not_allowed"


def hand_signed(claims: dict, header: dict) -> str:
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    mac = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_an_asymmetric_signature_is_refused_before_any_key_is_tried():
    key = ECKey.generate_key("P-256")
    claims = {"iss": "chu-demo", "aud": AUDIENCE, "iat": int(NOW), "exp": int(NOW) + 60}
    signed = jws.serialize_compact({"alg": "ES256"}, json.dumps(claims), key, algorithms=["ES256"])
    assert refused(signed) == "algorithm_not_allowed"


def test_a_critical_header_is_refused():
    assert refused(hand_signed(CLAIMS, {"alg": "HS256", "crit": ["exp"], "exp": 1})) == "critical_header"
    assert verify(hand_signed(CLAIMS, {"alg": "HS256"})).reference == "R"  # the same, signed by hand, passes


@pytest.mark.parametrize("value", ["", "a.b", "a.b.c.d", "x" * 5000, "é.é.é", "e30.e30."])
def test_malformed_tokens(value):
    assert refused(value) in ("malformed", "algorithm_not_allowed")


def test_times():
    assert refused(token(), now=NOW + 901 + 61) == "expired"
    assert refused(token(iat=int(NOW) + 3600, exp=int(NOW) + 3700)) == "issued_in_the_future"
    assert refused(token(exp=int(NOW) + LAUNCH_MAX_LIFETIME + 1)) == "lifetime_too_long"
    assert refused(token(nbf=int(NOW) + 3600)) == "not_yet_valid"
    assert refused(token(drop=("exp",))) == "missing_exp"
    assert refused(token(drop=("iat",))) == "missing_iat"
    assert refused(token(exp="tomorrow")) == "malformed_exp"
    assert verify(token(), now=NOW + 901 + 30).organisation == "chu-demo"  # within the clock leeway


def test_a_token_for_another_organisation_or_another_service():
    # Signed with the right secret but naming another organisation: a portal cannot speak for its neighbour.
    assert refused(token(iss="mutuelle-demo")) == "wrong_issuer"
    assert refused(token(aud="https://elsewhere.example")) == "wrong_audience"
    assert verify(token(aud=["https://other.example", AUDIENCE])).organisation == "chu-demo"
    # The mutuelle's token at the hospital's address: its secret is not the hospital's.
    assert refused(token("mutuelle-demo")) == "bad_signature"


def test_single_use():
    ledger, value = Ledger(), token()
    verify(value, ledger=ledger)
    assert refused(value, ledger=ledger) == "replayed"


def test_a_token_refused_for_another_reason_stays_unused():
    ledger = Ledger()
    refused(token(jti="j" * 16, return_url="https://evil.example/"), ledger=ledger)
    assert verify(token(jti="j" * 16), ledger=ledger).organisation == "chu-demo"


@pytest.mark.parametrize("name, value, reason", [
    ("jti", None, "missing_jti"), ("jti", "short", "malformed_jti"), ("jti", 12345678, "malformed_jti"),
    ("ref", None, "missing_ref"), ("ref", "<script>", "malformed_ref"), ("ref", "a" * 65, "malformed_ref"),
    ("return_url", None, "missing_return_url"),
])
def test_required_claims(name, value, reason):
    value_token = token(drop=(name,)) if value is None else token(**{name: value})
    assert refused(value_token) == reason


@pytest.mark.parametrize("url", [
    "//evil.example", "https:evil.example", "/\\evil.example", "https://127.0.0.1.evil.example/portail/retour",
    "http://127.0.0.1:5001@evil.example/portail/retour", "http://127.0.0.1:5001/portail/retour%2F..%2Fx",
    "HTTP://127.0.0.1:5001/portail/retour", "http://127.0.0.1.:5001/portail/retour",
    "http://127.0.0.1:5002/portail/retour", "http://127.0.0.1:5001/portail/retour/",
    "http://127.0.0.1:5001/portail/retour?next=//evil.example", "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "http://127.0.0.1:5001/Portail/Retour", "",
])
def test_a_return_url_must_be_registered_byte_for_byte(url):
    assert refused(token(return_url=url)) == "return_url_not_allowed"


@pytest.mark.parametrize("stay", [
    {"date": "9999-12-31"}, {"date": "2001-01-01"}, {"date": "2027-02-30"}, {"date": "01/02/2027"},
    {"service": "<b>Cardio</b>"}, {"service": "---"}, {"service": "x" * 81}, {"type": "sejour_de_luxe"},
    {"unknown": "x"}, "not-an-object",
])
def test_a_stay_is_checked(stay):
    assert refused(token(stay=stay)) in ("malformed_stay",)


def test_a_stay_for_a_mutuelle_or_an_offer_for_a_hospital_is_refused():
    assert refused(token(offer={"code": "X"})) == "malformed_offer"
    assert refused(token("mutuelle-demo", stay={"service": "Cardiologie"}), MUTUELLE) == "malformed_stay"


@pytest.mark.parametrize("offer", [{"code": "a b"}, {"label": "<i>x</i>"}, {"start_date": "2001-01-01"},
                                   {"start_date": "9999-01-01"}, {"price": 3}])
def test_an_offer_is_checked(offer):
    assert refused(token("mutuelle-demo", offer=offer), MUTUELLE) == "malformed_offer"


def test_the_stay_day_is_counted_from_today_so_a_far_stay_cannot_make_a_minor_an_adult():
    far = (TODAY + dt.timedelta(days=3 * 365)).isoformat()
    assert refused(token(stay={"date": far})) == "malformed_stay"


def test_a_real_clock_round_trip():
    # The helper signs as a portal would with the current time: nothing depends on the fixed NOW above.
    launch = verify_launch(launch_token("chu-demo", audience=AUDIENCE), CHU, audience=AUDIENCE, now=time.time(),
                           use_once=Ledger().use, today=dt.date.today())
    assert launch.reference == "PORTAIL-42"


def test_the_key_is_never_a_weak_one():
    assert len(OctKey.import_key(SECRET).raw_value) >= 32
