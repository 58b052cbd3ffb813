"""The FranceConnect sandbox behaves like FC v2 (shared/reference/franceconnect.md §2–§8, §13)."""

from __future__ import annotations

import ast
import base64
import hashlib
import html
import json
import re
import time
from pathlib import Path

import pytest
import requests

from app.model.identity import Identity
from app.sandbox import SandboxClient, create_sandbox_app, identities
from app.sandbox.state import pairwise_sub
from tests.sandbox.flow import (
    BASE_URL,
    DATA_PROVIDER,
    ES_CLIENT,
    FS_CALLBACK,
    FS_LOGOUT,
    ISSUER,
    NARROW_CLIENT,
    NONCE,
    RS_CLIENT,
    STATE,
    authorize_params,
    csrf_of,
    decode,
    make_config,
    open_chooser,
    query_of,
    sign_in,
    token_request,
    tokens,
)
from tests.sandbox.server import run_wsgi, run_wsgi_factory

TECHNICAL_ERROR = "authentication aborted due to a technical error on the authorization server"


def jwks_of(client) -> dict:
    return client.get("/api/v2/jwks").json


def header_of(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# Discovery and keys


def test_discovery_mirrors_fc_v2(client):
    doc = client.get("/api/v2/.well-known/openid-configuration").json
    assert doc["issuer"] == ISSUER
    for name, path in [("authorization_endpoint", "/authorize"), ("token_endpoint", "/token"),
                       ("userinfo_endpoint", "/userinfo"), ("end_session_endpoint", "/session/end"),
                       ("jwks_uri", "/jwks"), ("revocation_endpoint", "/token/revocation")]:
        assert doc[name] == ISSUER + path
    assert doc["acr_values_supported"] == ["eidas1"]
    assert doc["id_token_signing_alg_values_supported"] == ["HS256", "ES256", "RS256"]
    assert doc["userinfo_signing_alg_values_supported"] == ["HS256", "ES256", "RS256"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_post", "private_key_jwt"]
    assert doc["subject_types_supported"] == ["pairwise"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == ["authorization_code"]
    assert doc["claims_parameter_supported"] is True
    assert {"openid", "profile", "preferred_username", "idp_birthdate", "complementaire_sante_solidaire"} <= set(
        doc["scopes_supported"]
    )
    assert not {"address", "offline_access", "phone"} & set(doc["scopes_supported"])
    assert {"sub", "given_name", "given_name_array", "amr", "acr"} <= set(doc["claims_supported"])


def test_jwks_publishes_es256_and_rs256_signing_keys(client):
    response = client.get("/api/v2/jwks")
    assert response.headers["Cache-Control"] == "public, max-age=600"
    keys = response.json["keys"]
    assert sorted(k["alg"] for k in keys) == ["ES256", "RS256"]
    assert all(k["use"] == "sig" and k["kid"] for k in keys)
    assert not any("d" in k for k in keys), "private parts must never be published"


def test_jwks_outage_answers_503(client, fc):
    fc.jwks_outage = True
    assert client.get("/api/v2/jwks").status_code == 503
    fc.jwks_outage = False
    assert client.get("/api/v2/jwks").status_code == 200


def test_rotation_signs_with_a_new_kid_and_keeps_the_previous_one(client, fc):
    old_kid = fc.keys.current_kid("ES256")
    old_token = tokens(client)["id_token"]
    fc.keys.rotate()
    new_token = tokens(client)["id_token"]
    assert header_of(new_token)["kid"] == fc.keys.current_kid("ES256") != old_kid
    jwks = jwks_of(client)
    assert {old_kid, header_of(new_token)["kid"]} <= {k["kid"] for k in jwks["keys"]}
    decode(old_token, jwks)  # still verifiable after one rotation
    fc.keys.rotate()
    assert old_kid not in {k["kid"] for k in jwks_of(client)["keys"]}


# /authorize: FC's error page (no redirect)


@pytest.mark.parametrize("name", ["response_type", "client_id", "redirect_uri", "scope", "acr_values", "state",
                                  "nonce"])
def test_authorize_without_a_required_parameter_shows_y030007(client, name):
    response = client.get("/api/v2/authorize", query_string=authorize_params(**{name: None}))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "Y030007" in response.text and response.mimetype == "text/html"


@pytest.mark.parametrize("name", ["client_id", "redirect_uri", "acr_values", "state", "nonce"])
def test_authorize_with_an_empty_parameter_shows_y030007(client, name):
    response = client.get("/api/v2/authorize", query_string=authorize_params(**{name: ""}))
    assert response.status_code == 400 and "Y030007" in response.text


def test_authorize_refuses_a_nonce_shorter_than_22_characters(client):
    response = client.get("/api/v2/authorize", query_string=authorize_params(nonce="x" * 21))
    assert response.status_code == 400 and "Y030007" in response.text
    assert client.get("/api/v2/authorize", query_string=authorize_params(nonce="x" * 22)).status_code == 303


@pytest.mark.parametrize("extra", [{"code_challenge": "abc", "code_challenge_method": "S256"}, {"foo": "bar"},
                                   {"response_mode": "query"}])
def test_authorize_rejects_unknown_parameters_including_pkce(client, extra):
    response = client.get("/api/v2/authorize", query_string={**authorize_params(), **extra})
    assert response.status_code == 400 and "Y030007" in response.text and "Location" not in response.headers


def test_authorize_rejects_a_repeated_parameter(client):
    query = [*authorize_params().items(), ("state", "another-state-value")]
    response = client.get("/api/v2/authorize", query_string=query)
    assert response.status_code == 400 and "Y030007" in response.text


@pytest.mark.parametrize("prompt", ["", "none", "select_account", "login login", "consent none"])
def test_authorize_refuses_other_prompts(client, prompt):
    response = client.get("/api/v2/authorize", query_string=authorize_params(prompt=prompt))
    assert response.status_code == 400 and "Y030007" in response.text


@pytest.mark.parametrize("prompt", ["login", "consent", "login consent", "consent login"])
def test_authorize_accepts_login_and_consent_prompts(client, prompt):
    assert client.get("/api/v2/authorize", query_string=authorize_params(prompt=prompt)).status_code == 303


def test_authorize_accepts_idp_hint_and_ignores_ui_locales(client):
    params = authorize_params(idp_hint="demonstration", ui_locales="fr-FR")
    assert client.get("/api/v2/authorize", query_string=params).status_code == 303


@pytest.mark.parametrize("claims", ["{not json", "[1, 2]", '{"id_token": "amr"}'])
def test_authorize_refuses_a_malformed_claims_parameter(client, claims):
    response = client.get("/api/v2/authorize", query_string=authorize_params(claims=claims))
    assert response.status_code == 400 and "Y030007" in response.text


def test_authorize_with_an_unknown_client_shows_y04ea6ef(client):
    response = client.get("/api/v2/authorize", query_string=authorize_params(client_id="inconnu"))
    assert response.status_code == 400 and "Y04EA6EF" in response.text and "Location" not in response.headers


@pytest.mark.parametrize("uri", [FS_CALLBACK + "/", "http://127.0.0.1:5000/auth/callback?x=1",
                                 "https://my-malicious-url.fr/callback", "HTTP://127.0.0.1:5000/auth/callback"])
def test_authorize_requires_an_exactly_registered_redirect_uri(client, uri):
    response = client.get("/api/v2/authorize", query_string=authorize_params(redirect_uri=uri))
    assert response.status_code == 400 and "Y04C013C" in response.text and "Location" not in response.headers


def test_authorize_with_a_redirect_uri_that_is_not_a_url_shows_y030007(client):
    response = client.get("/api/v2/authorize", query_string=authorize_params(redirect_uri="example.com"))
    assert response.status_code == 400 and "Y030007" in response.text


def test_error_pages_are_marked_as_test_environment(client):
    response = client.get("/api/v2/authorize", query_string=authorize_params(client_id="inconnu"))
    assert "Bac à sable FranceConnect — environnement de test" in response.text
    assert "Une erreur de communication avec le fournisseur de service est survenue" in response.text


# /authorize: errors redirected to the FS


def assert_error_redirect(response, error: str, description: str, *, fragment: bool = False) -> None:
    assert response.status_code == 303
    assert response.location.startswith(FS_CALLBACK)
    assert query_of(response.location, fragment=fragment) == {
        "error": error, "error_description": description, "state": STATE, "iss": ISSUER,
    }


@pytest.mark.parametrize("response_type", ["inconnu", "none"])
def test_authorize_with_another_response_type_redirects_unsupported_response_type(client, response_type):
    response = client.get("/api/v2/authorize", query_string=authorize_params(response_type=response_type))
    assert_error_redirect(response, "unsupported_response_type", "unsupported response_type requested")


@pytest.mark.parametrize("response_type", ["id_token", "code token", "code id_token"])
def test_authorize_with_an_implicit_response_type_answers_in_the_fragment(client, response_type):
    response = client.get("/api/v2/authorize", query_string=authorize_params(response_type=response_type))
    assert_error_redirect(response, "unsupported_response_type", "unsupported response_type requested", fragment=True)


def test_authorize_with_an_empty_response_type_redirects_invalid_request(client):
    # FC's DTO accepts an empty string, node-oidc-provider then calls it missing (api-authorize.feature).
    response = client.get("/api/v2/authorize", query_string=authorize_params(response_type=""))
    assert_error_redirect(response, "invalid_request", "missing required parameter 'response_type'")


@pytest.mark.parametrize("scope", ["profile email", ""])
def test_authorize_without_openid_scope_redirects_invalid_request(client, scope):
    response = client.get("/api/v2/authorize", query_string=authorize_params(scope=scope))
    assert_error_redirect(
        response, "invalid_request", "openid scope must be requested when using the acr_values parameter"
    )


def test_authorize_with_a_scope_outside_the_clients_habilitation_redirects_invalid_scope(client):
    params = authorize_params(client_id=NARROW_CLIENT.client_id, scope="openid given_name email")
    assert_error_redirect(client.get("/api/v2/authorize", query_string=params), "invalid_scope",
                          "requested scope is not allowed")
    params = authorize_params(client_id=NARROW_CLIENT.client_id, scope="openid given_name family_name")
    assert client.get("/api/v2/authorize", query_string=params).status_code == 303


def test_authorize_with_a_scope_the_sandbox_does_not_know_redirects_invalid_scope(client):
    response = client.get("/api/v2/authorize", query_string=authorize_params(scope="openid address"))
    assert_error_redirect(response, "invalid_scope", "requested scope is not allowed")


@pytest.mark.parametrize("acr", ["eidas2", "eidas3"])
def test_authorize_refuses_fc_plus_levels_with_invalid_acr(client, acr):
    response = client.get("/api/v2/authorize", query_string=authorize_params(acr_values=acr))
    assert_error_redirect(
        response, "invalid_acr",
        f"acr_value is not valid, should be equal one of these values, expected eidas1, got {acr}",
    )


def test_authorize_treats_an_unknown_acr_as_eidas1(client):
    callback = sign_in(client, acr_values="substantial")
    body = token_request(client, callback["code"]).json
    assert decode(body["id_token"], jwks_of(client)).claims["acr"] == "eidas1"


def test_authorize_error_redirect_keeps_the_registered_query(client):
    params = authorize_params(client_id=RS_CLIENT.client_id, redirect_uri="http://127.0.0.1:5000/cb?x=1",
                              response_type="token")
    response = client.get("/api/v2/authorize", query_string=params)
    assert query_of(response.location)["x"] == "1"


def test_authorize_accepts_a_form_post(client):
    response = client.post("/api/v2/authorize", data=authorize_params())
    assert response.status_code == 303 and "/api/v2/interaction/" in response.location


# Identity chooser, consent and faults


def test_chooser_lists_every_test_identity_and_is_marked_as_a_test_environment(client):
    interaction_url, _ = open_chooser(client)
    page = client.get(interaction_url).text
    assert "Bac à sable FranceConnect — environnement de test" in page
    for identity in identities.IDENTITIES:
        assert html.escape(identity.display_name) in page and html.escape(identity.description) in page
    assert "24/08/1962" in page and "Mineure" in page and "présumée" in page and "Corse" in page
    assert "Simuler une erreur FranceConnect" in page and "Revenir sur le site du fournisseur de service" in page


def test_sandbox_pages_load_nothing_external_and_carry_no_script_or_inline_style(client):
    interaction_url, csrf = open_chooser(client)
    client.post(f"{interaction_url}/login", data={"login": "test", "csrf_token": csrf})
    for url in ("/", interaction_url, f"{interaction_url}/consent"):
        page = client.get(url).text
        assert "<script" not in page and "<style" not in page and "style=" not in page
        assert not re.search(r'(src|href)="https?://(?!127\.0\.0\.1)', page)
        assert '<html lang="fr">' in page
    with client.get("/static/sandbox.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"


def test_chooser_cancel_redirects_access_denied(client):
    interaction_url, csrf = open_chooser(client)
    response = client.post(f"{interaction_url}/abort", data={"csrf_token": csrf})
    assert_error_redirect(response, "access_denied", "User auth aborted")
    assert client.get(interaction_url).status_code == 400, "the interaction is over"


@pytest.mark.parametrize("scenario, error, description", [
    ("server_error", "server_error", TECHNICAL_ERROR),
    ("temporarily_unavailable", "temporarily_unavailable", "the authorization server is temporarily unavailable"),
    ("rnipp_unknown", "access_denied", "identity could not be certified (person unknown to the RNIPP)"),
])
def test_fault_scenarios_redirect_the_chosen_error(client, scenario, error, description):
    interaction_url, csrf = open_chooser(client)
    response = client.post(f"{interaction_url}/fault", data={"scenario": scenario, "csrf_token": csrf})
    assert_error_redirect(response, error, description)


def test_identity_without_email_fails_like_y600006_when_email_is_requested(client):
    interaction_url, csrf = open_chooser(client, scope="openid given_name email")
    response = client.post(f"{interaction_url}/login", data={"login": "sans_mail", "csrf_token": csrf})
    assert_error_redirect(response, "server_error", TECHNICAL_ERROR)


def test_identity_without_email_signs_in_when_email_is_not_requested(client):
    assert "code" in sign_in(client, "sans_mail", scope="openid identite_pivot")


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_chooser_forms_require_the_sessions_csrf_token(client, csrf):
    interaction_url, _ = open_chooser(client)
    data = {"login": "test"} if csrf is None else {"login": "test", "csrf_token": csrf}
    assert client.post(f"{interaction_url}/login", data=data).status_code == 400
    assert client.post(f"{interaction_url}/abort", data=data).status_code == 400


def test_an_interaction_cannot_be_driven_from_another_browser(app, client):
    interaction_url, csrf = open_chooser(client)
    intruder = app.test_client()
    assert intruder.get(interaction_url).status_code == 400
    assert intruder.post(f"{interaction_url}/login", data={"login": "test", "csrf_token": csrf}).status_code == 400
    _, intruder_csrf = open_chooser(intruder)  # a valid token, but for the intruder's own session
    data = {"login": "test", "csrf_token": intruder_csrf}
    assert intruder.post(f"{interaction_url}/login", data=data).status_code == 400


def test_unknown_identity_is_refused(client):
    interaction_url, csrf = open_chooser(client)
    assert client.post(f"{interaction_url}/login", data={"login": "nobody", "csrf_token": csrf}).status_code == 400


def test_consent_page_lists_the_data_to_transmit_and_can_be_cancelled(client):
    interaction_url, csrf = open_chooser(client, scope="openid given_name birthdate complementaire_sante_solidaire")
    client.post(f"{interaction_url}/login", data={"login": "test", "csrf_token": csrf})
    page = client.get(f"{interaction_url}/consent").text
    assert "Transmettre mes données" in page
    assert "Prénoms" in page and "Angela Claire Louise" in page and "Date de naissance" in page
    assert "Adresse électronique" not in page, "email was not requested"
    assert "complementaire_sante_solidaire" in page
    response = client.post(f"{interaction_url}/abort", data={"csrf_token": csrf})
    assert_error_redirect(response, "access_denied", "User auth aborted")


def test_consent_redirects_to_the_fs_with_code_state_and_iss(client):
    callback = sign_in(client)
    assert set(callback) == {"code", "state", "iss"}
    assert callback["state"] == STATE and callback["iss"] == ISSUER
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", callback["code"])


def test_sso_session_offers_to_continue_as_the_same_person(client):
    sign_in(client, "avec_nom_dusage")
    interaction_url, csrf = open_chooser(client)
    assert "Continuer en tant que Pierre MERCIER" in client.get(interaction_url).text
    response = client.post(f"{interaction_url}/login", data={"sso": "1", "csrf_token": csrf})
    assert response.status_code == 303
    client.get(response.location)
    callback = query_of(client.post(f"{interaction_url}/consent", data={"csrf_token": csrf}).location)
    assert token_request(client, callback["code"]).status_code == 200


def test_prompt_login_does_not_offer_the_sso_session(client):
    sign_in(client)
    interaction_url, _ = open_chooser(client, prompt="login")
    assert "Continuer en tant que" not in client.get(interaction_url).text


def test_sso_session_expires_after_30_minutes_idle(client, clock):
    sign_in(client)
    clock.advance(29 * 60)
    interaction_url, _ = open_chooser(client)
    assert "Continuer en tant que" in client.get(interaction_url).text  # and this visit renews it
    clock.advance(31 * 60)
    interaction_url, _ = open_chooser(client)
    assert "Continuer en tant que" not in client.get(interaction_url).text


def test_sso_cookie_is_httponly_and_samesite_lax(client):
    response = client.get("/api/v2/authorize", query_string=authorize_params())
    assert "Set-Cookie" not in response.headers, "/authorize must not overwrite the SSO cookie"
    cookie = client.get(response.location).headers["Set-Cookie"]
    assert cookie.startswith("fc_sandbox_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# /token


def test_token_answers_exactly_the_five_fc_fields(client):
    callback = sign_in(client, scope="openid given_name email")
    response = token_request(client, callback["code"])
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers
    body = response.json
    assert set(body) == {"access_token", "token_type", "expires_in", "id_token", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 60
    assert body["scope"] == "openid given_name email"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["access_token"])


def assert_json_error(response, status: int, error: str, description: str, code: str | None = None) -> None:
    assert response.status_code == status and response.mimetype == "application/json"
    assert response.json["error"] == error and response.json["error_description"] == description
    uri = "https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-erreurs/?code="
    assert response.json["error_uri"].startswith(uri + (code or ""))


def test_token_with_a_wrong_secret_is_invalid_client(client):
    code = sign_in(client)["code"]
    response = token_request(client, code, client_secret="wrong-client-secret")
    assert_json_error(response, 401, "invalid_client", "client authentication failed (invalid secret provided)",
                      "Y0434A7B")


@pytest.mark.parametrize("overrides, detail", [
    ({"client_id": "inconnu"}, "client not found"),
    ({"client_secret": None}, "no client authentication mechanism provided"),
    ({"client_id": None}, "no client authentication mechanism provided"),
])
def test_token_with_unusable_client_credentials_is_invalid_client(client, overrides, detail):
    response = token_request(client, sign_in(client)["code"], **overrides)
    assert_json_error(response, 401, "invalid_client", f"client authentication failed ({detail})")


def test_token_refuses_basic_authentication(client):
    code = sign_in(client)["code"]
    basic = base64.b64encode(f"{ES_CLIENT.client_id}:{ES_CLIENT.client_secret}".encode()).decode()
    response = client.post(
        "/api/v2/token", headers={"Authorization": f"Basic {basic}"},
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": FS_CALLBACK},
    )
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_token_refuses_private_key_jwt(client):
    response = token_request(client, sign_in(client)["code"], client_assertion="eyJ.x.y",
                             client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_token_without_code_is_invalid_request(client):
    response = token_request(client, "")
    assert_json_error(response, 400, "invalid_request", "missing required parameter 'code' (undefined)", "Y048017B")


def test_token_with_another_grant_type_is_unsupported(client):
    response = token_request(client, sign_in(client)["code"], grant_type="refresh_token")
    assert_json_error(response, 400, "unsupported_grant_type", "unsupported grant_type requested (undefined)")


def test_token_with_an_unknown_code_is_invalid_grant(client):
    response = token_request(client, "bAEk2ZasUawAGYjicNwLYvefJsDhoxi0VA61xUZqh44")
    assert_json_error(response, 400, "invalid_grant", "grant request is invalid (authorization code not found)",
                      "Y049E20B")


def test_code_is_single_use(client):
    code = sign_in(client)["code"]
    assert token_request(client, code).status_code == 200
    response = token_request(client, code)
    assert_json_error(response, 400, "invalid_grant", "grant request is invalid (authorization code not found)")


def test_code_expires_after_30_seconds(client, clock):
    code = sign_in(client)["code"]
    clock.advance(30)
    response = token_request(client, code)
    assert_json_error(response, 400, "invalid_grant", "grant request is invalid (authorization code not found)")


def test_code_is_still_valid_after_29_seconds(client, clock):
    code = sign_in(client)["code"]
    clock.advance(29)
    assert token_request(client, code).status_code == 200


def test_token_requires_the_authorize_redirect_uri(client):
    code = sign_in(client)["code"]
    response = token_request(client, code, redirect_uri="http://127.0.0.1:5000/other")
    assert response.status_code == 400 and response.json["error"] == "invalid_grant"
    assert token_request(client, code).status_code == 200, "a mismatch does not burn the code"


def test_a_code_is_only_redeemable_by_its_client(client):
    code = sign_in(client)["code"]
    response = token_request(client, code, RS_CLIENT)
    assert_json_error(response, 400, "invalid_grant", "grant request is invalid (client mismatch)")


# ID token


def test_id_token_carries_fc_claims_and_a_correct_at_hash(client, clock):
    body = tokens(client)
    token = decode(body["id_token"], jwks_of(client))
    assert set(token.header) == {"alg", "kid"} and token.header["alg"] == "ES256"
    claims = token.claims
    assert set(claims) == {"sub", "auth_time", "acr", "nonce", "at_hash", "aud", "exp", "iat", "iss"}
    assert claims["iss"] == ISSUER and claims["aud"] == ES_CLIENT.client_id
    assert claims["nonce"] == NONCE and claims["acr"] == "eidas1"
    assert claims["iat"] == int(clock.now) and claims["exp"] == claims["iat"] + 60
    assert claims["auth_time"] == int(clock.now)
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_sub_is_pairwise_sha256_plus_v1(client):
    sub = decode(tokens(client)["id_token"], jwks_of(client)).claims["sub"]
    assert re.fullmatch(r"[0-9a-f]{64}v1", sub)
    assert sub == pairwise_sub(ES_CLIENT.client_id, "test")
    assert sub == decode(tokens(client)["id_token"], jwks_of(client)).claims["sub"], "stable across logins"
    rs_sub = decode(tokens(client, fs=RS_CLIENT)["id_token"], jwks_of(client), "RS256").claims["sub"]
    assert rs_sub != sub, "another FS sees another sub"


def test_amr_only_when_requested_through_claims(client):
    assert "amr" not in decode(tokens(client)["id_token"], jwks_of(client)).claims
    claims = json.dumps({"id_token": {"amr": {"essential": True}}})
    assert decode(tokens(client, claims=claims)["id_token"], jwks_of(client)).claims["amr"] == ["pwd"]


def test_rs256_client_gets_rs256_tokens(client, fc):
    body = tokens(client, fs=RS_CLIENT)
    token = decode(body["id_token"], jwks_of(client), "RS256")
    assert token.header["kid"] == fc.keys.current_kid("RS256")
    response = client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert header_of(response.text)["alg"] == "RS256"


# /userinfo


def userinfo_claims(client, login: str = "test", scope: str = "openid") -> dict:
    body = tokens(client, login, scope=scope)
    response = client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert response.status_code == 200 and response.mimetype == "application/jwt"
    token = decode(response.text, jwks_of(client))
    assert set(token.header) == {"alg", "kid"}
    return token.claims


PIVOT = {"given_name", "given_name_array", "family_name", "birthdate", "gender", "birthplace", "birthcountry"}


@pytest.mark.parametrize("scope, expected", [
    ("openid", set()),
    ("openid profile", {"given_name", "given_name_array", "family_name", "birthdate", "gender",
                        "preferred_username"}),
    ("openid birth", {"birthplace", "birthcountry"}),
    ("openid identite_pivot", PIVOT),
    ("openid given_name", {"given_name", "given_name_array"}),
    ("openid family_name gender", {"family_name", "gender"}),
    ("openid birthdate birthplace birthcountry", {"birthdate", "birthplace", "birthcountry"}),
    ("openid email", {"email"}),
    ("openid preferred_username", {"preferred_username"}),
    ("openid idp_birthdate", {"idp_birthdate"}),
])
def test_userinfo_releases_only_the_claims_of_the_granted_scopes(client, scope, expected):
    claims = userinfo_claims(client, "avec_nom_dusage", scope)
    assert set(claims) == expected | {"sub", "iss", "aud", "exp", "iat"}
    assert claims["iss"] == ISSUER and claims["aud"] == ES_CLIENT.client_id
    assert claims["sub"] == pairwise_sub(ES_CLIENT.client_id, "avec_nom_dusage")


def test_userinfo_values_for_the_reference_identity(client):
    claims = userinfo_claims(client, "test", "openid identite_pivot email")
    assert claims["given_name"] == "Angela Claire Louise"
    assert claims["given_name_array"] == ["Angela", "Claire", "Louise"]
    assert (claims["family_name"], claims["birthdate"], claims["gender"]) == ("DUBOIS", "1962-08-24", "female")
    assert (claims["birthplace"], claims["birthcountry"]) == ("75107", "99100")
    assert claims["email"] == "wossewodda-3728@yopmail.com"


def test_userinfo_sends_the_raw_idp_birthdate_of_a_presumed_date(client):
    claims = userinfo_claims(client, "étranger_présumé_né_jour", "openid birthdate idp_birthdate birth")
    assert claims["birthdate"] == "1992-11-01" and claims["idp_birthdate"] == "1992-11-00"
    assert claims["birthplace"] == "" and claims["birthcountry"] == "99217"


def test_amr_and_idp_id_are_scopes_as_in_fcp_low(client):
    # fcp-low.scopes.ts lists both; the sandbox answered invalid_scope before.
    claims = userinfo_claims(client, "test", "openid amr idp_id")
    assert claims["amr"] == ["pwd"] and claims["idp_id"] == identities.IDP_ID


@pytest.mark.parametrize("login, expected", [
    ("genre_indéfini", {"gender": "unspecified"}),
    ("prénom_composé_avec_espace", {"given_name_array": ["Jean Philippe", "Pierre", "Louis"],
                                    "given_name": "Jean Philippe Pierre Louis", "preferred_username": "Martin"}),
    ("sans_mail", {"preferred_username": "DUFOUR"}),
    ("test_CORSE_2A", {"preferred_username": "Mario"}),
    ("étranger_présumé_né_jour_et_mois", {"birthdate": "1992-01-01", "idp_birthdate": "1992-00-00"}),
])
def test_userinfo_carries_franceconnects_values(client, login, expected):
    claims = userinfo_claims(client, login, "openid profile birth idp_birthdate")
    assert {name: claims.get(name) for name in expected} == expected


def test_userinfo_accepts_the_access_token_as_a_query_parameter(client):
    body = tokens(client)
    response = client.get("/api/v2/userinfo", query_string={"access_token": body["access_token"]})
    assert response.status_code == 200 and response.mimetype == "application/jwt"


def test_userinfo_without_token_is_401(client):
    response = client.get("/api/v2/userinfo")
    assert_json_error(response, 401, "invalid_token", "no access token provided (no access token provided)",
                      "Y04146A2")


def test_userinfo_with_an_unknown_token_is_401(client):
    response = client.get("/api/v2/userinfo", headers={"Authorization": "Bearer not-a-token"})
    assert_json_error(response, 401, "invalid_token", "invalid token provided (access token not found)", "Y040001")


def test_access_token_expires_after_60_seconds(client, clock):
    headers = {"Authorization": f"Bearer {tokens(client)['access_token']}"}
    clock.advance(59)
    assert client.get("/api/v2/userinfo", headers=headers).status_code == 200
    clock.advance(1)
    response = client.get("/api/v2/userinfo", headers=headers)
    assert_json_error(response, 401, "invalid_token", "invalid token provided (access token not found)")


# /token/revocation


def revoke(client, token: str, fs: SandboxClient = ES_CLIENT, **overrides):
    data = {"token": token, "client_id": fs.client_id, "client_secret": fs.client_secret, **overrides}
    return client.post("/api/v2/token/revocation", data=data)


def test_revocation_ends_the_access_token(client):
    access_token = tokens(client)["access_token"]
    assert revoke(client, access_token).status_code == 200
    response = client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 401


def test_revocation_authenticates_the_client(client):
    access_token = tokens(client)["access_token"]
    assert revoke(client, access_token, client_secret="wrong").status_code == 401
    assert revoke(client, access_token, RS_CLIENT).status_code == 400, "not the token's client"
    assert client.get("/api/v2/userinfo", query_string={"access_token": access_token}).status_code == 200


# /checktoken and introspect()


def checktoken(client, value: str, **overrides):
    data = {"token": value, "client_id": DATA_PROVIDER.client_id, "client_secret": DATA_PROVIDER.client_secret}
    data.update(overrides)
    return client.post("/api/v2/checktoken", data={k: v for k, v in data.items() if v is not None})


def test_checktoken_describes_an_active_token_to_its_data_provider(client, clock):
    scope = "openid identite_pivot email complementaire_sante_solidaire cnam_droits"
    access_token = tokens(client, scope=scope)["access_token"]
    response = checktoken(client, access_token)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/token-introspection+jwt"
    token = decode(response.text, jwks_of(client))
    assert set(token.header) == {"alg", "kid"}
    payload = token.claims
    assert set(payload) == {"iss", "aud", "iat", "token_introspection"}
    assert payload["iss"] == ISSUER and payload["aud"] == DATA_PROVIDER.client_id
    introspection = payload["token_introspection"]
    assert introspection["active"] is True and introspection["aud"] == ES_CLIENT.client_id
    assert introspection["acr"] == "eidas1" and introspection["exp"] == int(clock.now) + 60
    assert introspection["scope"] == "openid identite_pivot email complementaire_sante_solidaire"
    assert introspection["sub"] == pairwise_sub(DATA_PROVIDER.client_id, "test")
    assert introspection["family_name"] == "DUBOIS" and introspection["given_name_array"][0] == "Angela"
    assert PIVOT <= set(introspection) and "login" not in introspection and "email" not in introspection


def test_checktoken_of_an_unknown_or_expired_token_is_inactive(client, clock):
    assert decode(checktoken(client, "unknown").text, jwks_of(client)).claims["token_introspection"] == {
        "active": False
    }
    access_token = tokens(client)["access_token"]
    clock.advance(60)
    payload = decode(checktoken(client, access_token).text, jwks_of(client)).claims
    assert payload["token_introspection"] == {"active": False}


@pytest.mark.parametrize("missing", ["token", "client_id", "client_secret"])
def test_checktoken_without_a_parameter_is_invalid_request(client, missing):
    response = checktoken(client, "some-token", **{missing: None})
    assert response.status_code == 400
    assert response.json == {"error": "invalid_request", "error_description": "Required parameter missing or invalid."}


@pytest.mark.parametrize("overrides", [{"client_secret": "invalidclientsecret"}, {"client_id": "invalidclientid"},
                                       {"client_id": ES_CLIENT.client_id, "client_secret": ES_CLIENT.client_secret}])
def test_checktoken_with_bad_credentials_is_invalid_client(client, overrides):
    response = checktoken(client, "some-token", **overrides)
    assert response.status_code == 401
    assert response.json == {"error": "invalid_client", "error_description": "Client authentication failed."}


def test_introspect_in_process(client, fc, clock):
    access_token = tokens(client, "naissance_Algérie", scope="openid birth complementaire_sante_solidaire")[
        "access_token"
    ]
    result = fc.introspect(access_token)
    assert result["active"] is True and result["client_id"] == ES_CLIENT.client_id
    assert result["login"] == "naissance_Algérie" and result["acr"] == "eidas1"
    assert result["scope"] == "openid birth complementaire_sante_solidaire"
    assert result["sub"] == pairwise_sub(ES_CLIENT.client_id, "naissance_Algérie")
    assert (result["birthplace"], result["birthcountry"]) == ("", "99352")
    assert result["exp"] - result["iat"] == 60
    assert fc.introspect("unknown") is None
    clock.advance(60)
    assert fc.introspect(access_token) is None


# /session/end


def end_session(client, **params):
    return client.get("/api/v2/session/end", query_string={k: v for k, v in params.items() if v is not None})


def test_session_end_redirects_with_state_and_ends_the_sso_session(client):
    id_token = tokens(client)["id_token"]
    response = end_session(client, id_token_hint=id_token, post_logout_redirect_uri=FS_LOGOUT, state="logout-state")
    assert response.status_code == 303 and response.location == f"{FS_LOGOUT}?state=logout-state"
    interaction_url, _ = open_chooser(client)
    assert "Continuer en tant que" not in client.get(interaction_url).text


def test_session_end_without_state_sends_no_state(client):
    response = end_session(client, id_token_hint=tokens(client)["id_token"], post_logout_redirect_uri=FS_LOGOUT)
    assert response.status_code == 303 and response.location == FS_LOGOUT


def test_session_end_accepts_an_expired_id_token_hint(client, clock):
    id_token = tokens(client)["id_token"]
    clock.advance(20 * 60)
    assert end_session(client, id_token_hint=id_token, post_logout_redirect_uri=FS_LOGOUT).status_code == 303


def test_session_end_refuses_an_unregistered_post_logout_redirect_uri(client):
    id_token = tokens(client)["id_token"]
    response = end_session(client, id_token_hint=id_token, post_logout_redirect_uri=FS_CALLBACK)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "post_logout_redirect_uri not registered" in response.text


@pytest.mark.parametrize("hint", [None, "", "not-a-jwt", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"])
def test_session_end_requires_a_valid_id_token_hint(client, hint):
    response = end_session(client, id_token_hint=hint, post_logout_redirect_uri=FS_LOGOUT)
    assert response.status_code == 400 and "Location" not in response.headers


def test_session_end_refuses_an_id_token_signed_by_someone_else(client):
    other = create_sandbox_app(make_config())  # same issuer and clients, other keys
    forged = tokens(other.test_client())["id_token"]
    response = end_session(client, id_token_hint=forged, post_logout_redirect_uri=FS_LOGOUT)
    assert response.status_code == 400


def test_session_end_refuses_a_client_id_other_than_the_hints_audience(client):
    response = end_session(client, id_token_hint=tokens(client)["id_token"], post_logout_redirect_uri=FS_LOGOUT,
                           client_id=RS_CLIENT.client_id)
    assert response.status_code == 400


def test_session_end_refuses_unknown_parameters(client):
    response = end_session(client, id_token_hint=tokens(client)["id_token"], post_logout_redirect_uri=FS_LOGOUT,
                           foo="bar")
    assert response.status_code == 400 and "Y030007" in response.text


def test_session_end_without_post_logout_redirect_uri_shows_a_logged_out_page(client):
    response = end_session(client, id_token_hint=tokens(client)["id_token"], state="ignored")
    assert response.status_code == 200 and "Vous êtes déconnecté" in response.text


# Home page, configuration, latency, identities


def test_home_page_explains_the_sandbox(client):
    page = client.get("/").text
    assert "Bac à sable FranceConnect — environnement de test" in page
    assert f"{ISSUER}/.well-known/openid-configuration" in page
    assert all(identity.login in page for identity in identities.IDENTITIES)


def test_latency_is_injected_on_endpoints_but_not_on_static_files():
    app = create_sandbox_app(make_config(latency=0.2))
    client = app.test_client()
    started = time.perf_counter()
    client.get("/api/v2/jwks")
    assert time.perf_counter() - started >= 0.2
    started = time.perf_counter()
    client.get("/static/sandbox.css").close()
    assert time.perf_counter() - started < 0.2
    app.extensions["fc_sandbox"].latency = 0
    started = time.perf_counter()
    client.get("/api/v2/jwks")
    assert time.perf_counter() - started < 0.2


@pytest.mark.parametrize("overrides, message", [
    ({"clients": (SandboxClient("c", "s", (FS_CALLBACK,), (), id_token_alg="HS256"),)}, "ES256 or RS256"),
    ({"clients": (ES_CLIENT, ES_CLIENT)}, "unique"),
    ({"base_url": "127.0.0.1:5001"}, "absolute"),
])
def test_create_sandbox_app_refuses_a_bad_configuration(overrides, message):
    with pytest.raises(ValueError, match=message):
        create_sandbox_app(make_config(**overrides))


def test_secrets_stay_out_of_reprs():
    assert "es-secret" not in repr(make_config())
    assert "test-secret-key" not in repr(make_config())


def test_identities_parse_as_the_service_would_unless_franceconnect_refuses_them():
    # The comparison with FranceConnect's own mock data is in tests/sandbox/test_published_documents.py.
    logins = [identity.login for identity in identities.IDENTITIES]
    assert len(set(logins)) == len(logins) == 28
    for identity in identities.IDENTITIES:
        assert identity.description
        claims = {"sub": "x" * 64 + "v1", **identity.claims()}
        if identity.refused_by_fc:
            continue
        assert identity.gender in ("male", "female", "unspecified")
        parsed = Identity.from_claims(claims)
        assert parsed.birthdate == identity.birthdate and parsed.first_names == claims["given_name_array"]
    assert identities.find("genre_indéfini").gender == "unspecified"


def test_sandbox_imports_nothing_from_the_services_rooms():
    for path in Path("app/sandbox").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                if name.startswith("app."):
                    assert name.startswith(("app.sandbox", "app.model")), f"{path} imports {name}"


# A real HTTP server on loopback


def test_whole_flow_over_http():
    def build(base_url: str):
        return create_sandbox_app(make_config(base_url))

    with run_wsgi_factory(build) as (base_url, app), requests.Session() as browser:
        issuer = f"{base_url}/api/v2"
        discovery = browser.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
        assert discovery["issuer"] == issuer
        with browser.get(discovery["authorization_endpoint"], params=authorize_params(), timeout=5) as page:
            assert page.status_code == 200 and "/api/v2/interaction/" in page.url
            interaction_url, csrf = page.url, csrf_of(page.text)
        with browser.post(f"{interaction_url}/login", data={"login": "test", "csrf_token": csrf}, timeout=5) as page:
            assert "Transmettre mes données" in page.text
        with browser.post(f"{interaction_url}/consent", data={"csrf_token": csrf}, allow_redirects=False,
                          timeout=5) as response:
            assert response.status_code == 303
            callback = query_of(response.headers["Location"])
        assert callback["iss"] == issuer

        with requests.post(discovery["token_endpoint"], timeout=5, data={
            "grant_type": "authorization_code", "code": callback["code"], "redirect_uri": FS_CALLBACK,
            "client_id": ES_CLIENT.client_id, "client_secret": ES_CLIENT.client_secret,
        }) as response:
            body = response.json()
        with requests.get(discovery["jwks_uri"], timeout=5) as response:
            jwks = response.json()
        assert decode(body["id_token"], jwks).claims["iss"] == issuer
        with requests.get(discovery["userinfo_endpoint"], timeout=5,
                          headers={"Authorization": f"Bearer {body['access_token']}"}) as response:
            assert response.headers["Content-Type"] == "application/jwt"
            assert decode(response.text, jwks).claims["family_name"] == "DUBOIS"
        assert app.extensions["fc_sandbox"].introspect(body["access_token"])["login"] == "test"


def test_run_wsgi_serves_an_app_built_in_advance():
    app = create_sandbox_app(make_config())  # its issuer stays BASE_URL's: fine for keys, not for a login
    with run_wsgi(app) as base_url, requests.get(f"{base_url}/api/v2/.well-known/openid-configuration",
                                                 timeout=5) as response:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        assert response.json()["issuer"] == f"{BASE_URL}/api/v2"
    with pytest.raises(requests.ConnectionError):
        requests.get(base_url, timeout=1)
