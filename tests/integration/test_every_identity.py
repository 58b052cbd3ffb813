"""Every sandbox identity (FranceConnect's mock identities) meets the service with a clear outcome, over loopback
HTTP from a signed launch link: the journey's first step and its form, or a French refusal page — never a 500.

| outcome                         | identities                                                                  |
|---------------------------------|-----------------------------------------------------------------------------|
| « Qui est concerné ? », then    | all the others; `genre_indéfini` gets its sex from its certified NIR,       |
| the form                        | `prénom_composé_avec_espace` keeps « Jean Philippe » as one first name      |
| FranceConnect's refusal, then   | `sans_genre`, `sans_prenom`, `sans_nom_naissance`, `sans_birthplace`,       |
| « FranceConnect ne répond pas » | `mois_00` (FC's Y600006); `sans_mail`, `sans_mail_sans_tel` (the journeys   |
|                                 | ask for the email scope)                                                    |
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import pytest

from app.formats import nir_fr
from app.sandbox import identities
from app.sandbox.providers import data

JOURNEYS = {"preadmission": "chu-demo", "adhesion": "mutuelle-demo"}
REFUSED_BY_FC = {i.login for i in identities.IDENTITIES if i.refused_by_fc or i.email is None}
ADMITTED = [i.login for i in identities.IDENTITIES if i.login not in REFUSED_BY_FC]


def sign_in(stack, journey: str, login: str):
    browser = stack.browser()
    browser.get(stack.service_url + stack.launch_path(JOURNEYS[journey], ref="ADM-1"))
    form = next(f for f in browser.forms() if f.action.endswith("/auth/login"))
    started = browser.http.post(urljoin(browser.page.url, form.action), data=form.fields, allow_redirects=False,
                                timeout=15)
    assert started.status_code == 303
    browser.get(started.headers["Location"])
    browser.submit(login)
    if login not in REFUSED_BY_FC:
        browser.submit("Continuer")  # the sandbox's consent, then the callback
    assert all(r.status_code < 500 for r in browser.history), [r.url for r in browser.history if r.status_code >= 500]
    return browser


def test_the_table_covers_every_identity():
    assert len(ADMITTED) + len(REFUSED_BY_FC) == len(identities.IDENTITIES) == 28
    assert REFUSED_BY_FC == {"sans_genre", "sans_prenom", "sans_nom_naissance", "sans_birthplace", "mois_00",
                             "sans_mail", "sans_mail_sans_tel"}


@pytest.mark.parametrize("journey", JOURNEYS)
@pytest.mark.parametrize("login", ADMITTED)
def test_an_admitted_identity_reaches_the_journeys_first_step(stack, caplog, journey, login):
    caplog.set_level(logging.DEBUG)
    browser = sign_in(stack, journey, login)
    page = browser.page
    assert page.status_code == 200 and urlsplit(page.url).path.endswith("/personnes"), page.url
    assert 'lang="fr"' in page.text
    identity, record = identities.find(login), data.find(login)
    secrets = [identity.family_name, identity.given_name, identity.birthdate, identity.email]
    if record.cnam is not None:
        secrets += [record.cnam.insured.nir, record.cnam.insured.nir[:13]]
    assert "franceconnect login succeeded" in caplog.text  # the service's log lines are captured
    for secret in filter(None, secrets):
        assert secret not in caplog.text, "a name, date, e-mail or NIR reached the logs"


@pytest.mark.parametrize("login", ADMITTED)
def test_the_pre_admission_form_opens_for_the_person_themselves(stack, login):
    browser = sign_in(stack, "preadmission", login)
    page = browser.submit("Continuer", extra={"patient": "self"})
    assert page.status_code == 200 and "first_names" in page.text, page.url
    identity, family = identities.find(login), data.find(login).cnam
    if family is not None:
        # The NIR is certified with its key, also when the CNAM gave 13 characters (sans_telephone).
        assert nir_fr(family.insured.nir) in page.text, login
    sex_asked = 'name="sex"' in page.text and "disabled" not in _field(page.text, "sex")
    # An unspecified gender is asked, unless the CNAM certified a definitive NIR (first digit 1 or 2) that says it.
    nir_says_sex = family is not None and family.insured.nir[:1] in ("1", "2")
    assert sex_asked == (identity.gender == "unspecified" and not nir_says_sex), login


@pytest.mark.parametrize("journey", JOURNEYS)
@pytest.mark.parametrize("login", sorted(REFUSED_BY_FC))
def test_an_identity_franceconnect_refuses_ends_on_a_french_page(stack, journey, login):
    browser = sign_in(stack, journey, login)
    page = browser.page
    assert urlsplit(page.url).path == "/auth/erreur" and page.status_code == 400
    assert "FranceConnect ne répond pas pour le moment" in page.text
    assert "Retourner sur le site de l’organisme" in page.text  # no dead end: the way back to the portal


def _field(html: str, name: str) -> str:
    """The markup of the first element named `name` (enough to see whether it is read-only)."""
    at = html.find(f'name="{name}"')
    return html[html.rfind("<", 0, at):html.find(">", at) + 1] if at >= 0 else ""
