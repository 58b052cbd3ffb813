"""Rights retrieval through the sandbox over loopback HTTP: every identity, every fault scenario.

The person always reaches the signed-in page within the overall deadline, each source's status is
right, a provider's failure never blocks the sign-in, and nothing sensitive reaches the logs.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser import refresh_target

DEADLINE = 3.0  # seconds; the sandbox's "slow" fault answers after 5 s, beyond it


@pytest.fixture
def stack(make_stack):
    stack = make_stack(RIGHTS_DEADLINE=DEADLINE, CNAM_EXONERATIONS=True)
    stack.fc.provider_slow_seconds = 5.0
    return stack


def sign_in(stack, login="test", faults=()):
    """Sign in through the sandbox; returns (signed-in page, callback duration in seconds)."""
    browser = stack.browser()
    browser.get(stack.service_url + "/")
    browser.submit("FranceConnect")
    browser.submit(login, extra=[("provider_fault", fault) for fault in faults])
    consent = browser.submit("Continuer", follow=False)
    started = time.monotonic()
    # The callback answers at once with « Nous récupérons vos droits… », which moves on to the retrieval.
    callback = browser.get(consent.headers["Location"], follow=False)
    assert callback.status_code == 200 and "Nous récupérons vos droits" in callback.text
    retrieval = browser.get(urljoin(callback.url, refresh_target(callback)), follow=False)
    duration = time.monotonic() - started
    assert retrieval.status_code == 303, retrieval.status_code
    assert urlsplit(retrieval.headers["Location"]).path == "/mon-espace"
    page = browser.get(stack.service_url + "/mon-espace")
    assert page.status_code == 200
    return page, duration


def statuses(page) -> dict[str, str]:
    found = re.findall(r'aria-labelledby="(c2s|cnam)-title" data-status="([a-z_ ]+)"', page.text)
    return dict(found)


@pytest.mark.parametrize("login, c2s, cnam, sentence", [
    ("test", "ok", "ok", "sans participation financière, depuis le 1er février 2023"),
    ("nom_composé", "ok", "ok", "avec participation financière"),
    ("prénom_composé", "ok", "ok", "Vous ne bénéficiez pas de la complémentaire santé solidaire"),
    ("naissance_Algérie", "not_found", "ok", "Votre dossier n’est pas connu de l’organisme qui gère la C2S"),
    ("naissance_Portugal", "ok", "not_found", "L’Assurance Maladie (régime général) ne gère pas vos droits"),
    ("avec_nom_dusage", "ok", "ok", "Enfant"),
    ("moins_18_ans", "ok", "ok", "Alice"),
    ("test_CORSE_2A", "ok", "ok", "1 81 02 2A 004 906 03"),
    ("étranger_présumé_né_jour", "ok", "ok", "Vous bénéficiez de la complémentaire santé solidaire"),
    ("genre_indéfini", "ok", "ok", "Médecin traitant"),
])
def test_every_identity_reaches_the_signed_in_page_with_its_rights(stack, login, c2s, cnam, sentence):
    page, duration = sign_in(stack, login)
    assert statuses(page) == {"c2s": c2s, "cnam": cnam}
    assert sentence in page.text
    assert duration < DEADLINE + 2


def test_a_parent_sees_the_whole_family(stack):
    page, _ = sign_in(stack, "avec_nom_dusage")
    assert page.text.count("<h3>") == 4  # the insured, the spouse and two children
    assert "LOUIS" in page.text.upper() and "JEANNE" in page.text.upper()
    assert "Aucun médecin traitant déclaré" in page.text  # one twin has none


def test_exonerations_are_shown_when_the_deployment_may_receive_them(stack):
    page, _ = sign_in(stack, "prénom_composé")
    assert "Exonération du ticket modérateur" in page.text


@pytest.mark.parametrize("provider", ["c2s", "cnam"])
@pytest.mark.parametrize("fault, expected", [
    ("500", "unavailable"),
    ("502", "unavailable"),
    ("504", "unavailable"),
    ("429", "unavailable"),
    ("malformed_json", "unavailable"),
    ("html", "unavailable"),
    ("oversized", "unavailable"),
    ("redirect", "unavailable"),
    ("403", "refused"),
    ("502_once", "ok"),
    ("slow", "unavailable"),
])
def test_every_fault_ends_on_the_signed_in_page_with_the_source_explained(stack, provider, fault, expected):
    page, duration = sign_in(stack, "test", faults=[f"{provider}:{fault}"])
    other = "cnam" if provider == "c2s" else "c2s"
    assert statuses(page) == {provider: expected, other: "ok"}
    assert duration < DEADLINE + 1.5, f"callback took {duration:.1f} s"
    if expected == "unavailable":
        assert "n’ont pas pu être vérifiés" in page.text or "n’a pas pu être vérifié" in page.text


def test_a_long_retry_after_causes_no_sleep_and_no_retry_storm(stack):
    page, duration = sign_in(stack, "test", faults=["c2s:429"])
    assert statuses(page)["c2s"] == "unavailable"
    assert duration < 1.5  # Retry-After: 3600 is far beyond the deadline: answer at once
    assert stack.sandbox_hits["/v3/dss/complementaire_sante_solidaire/france_connect"] == 1


def test_a_redirect_is_not_followed(stack):
    sign_in(stack, "test", faults=["cnam:redirect"])
    # The stand-in redirects to 127.0.0.2:9, where nothing listens: a followed redirect would take
    # a connection attempt and count as a second CNAM call; only /me and /me/beneficiaires came.
    assert stack.sandbox_hits["/test/v1/droits/beneficiaires/me"] == 1


def test_a_failing_section_gives_partial_cnam_rights(stack):
    page, _ = sign_in(stack, "avec_nom_dusage", faults=["cnam:contrats_504"])
    assert statuses(page)["cnam"] == "ok partial"
    assert "Certaines informations n’ont pas pu être récupérées" in page.text


def test_both_providers_down_still_signs_in(stack):
    page, _ = sign_in(stack, "test", faults=["c2s:500", "cnam:500"])
    assert statuses(page) == {"c2s": "unavailable", "cnam": "unavailable"}
    assert "Angela Claire Louise" in page.text


def test_only_the_chosen_sources_are_requested_and_called(stack):
    browser = stack.browser()
    browser.get(stack.service_url + "/")
    login = browser.submit("FranceConnect", follow=False, extra={"sources_chosen": "1", "sources": "cnam"})
    assert "complementaire_sante_solidaire" not in login.headers["Location"]
    assert "droits_assurance_maladie" in login.headers["Location"]
    browser.get(login.headers["Location"])
    browser.submit("test")
    browser.submit("Continuer")
    assert statuses(browser.page) == {"c2s": "not_requested", "cnam": "ok"}
    assert stack.sandbox_hits["/v3/dss/complementaire_sante_solidaire/france_connect"] == 0


def test_no_token_nir_name_or_rights_value_reaches_the_logs(stack, caplog):
    caplog.set_level(logging.DEBUG)
    page, _ = sign_in(stack, "avec_nom_dusage")
    sign_in(stack, "test", faults=["c2s:malformed_json", "cnam:contrats_504"])
    text = caplog.text
    assert "franceconnect login succeeded" in text and "rights retrieval" in text
    forbidden = ["MERCIER", "Pierre", "DUBOIS", "Angela", "LOUIS", "JEANNE", "1969-03-17", "2023-02-01",
                 "CPAM", "169039527790269", "114069527791187", "262087510790169", "Val-d"]
    forbidden += re.findall(r"[0-9]{13}[0-9]{2}", page.text)
    for value in forbidden:
        assert value not in text, value
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}", text)  # no JWT
    assert "Bearer" not in text


def test_one_persons_failing_cnam_does_not_degrade_the_next_persons_sign_in(stack):
    # Measured on main: the 502s of one sign-in (retries included) opened the breaker for everyone for 30 s.
    page, _ = sign_in(stack, "test", faults=["cnam:502"])
    assert statuses(page)["cnam"] == "unavailable"
    page, _ = sign_in(stack, "nom_composé")
    assert statuses(page) == {"c2s": "ok", "cnam": "ok"}
