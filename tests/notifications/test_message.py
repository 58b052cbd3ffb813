"""The acknowledgement's content: the receipt's facts in French, text and HTML, nothing of the form."""

from __future__ import annotations

import datetime as dt

from app.model.organisation import Organisation
from app.notifications.message import acknowledgement

CHU = Organisation(id="chu-demo", name="Centre hospitalier de Démonstration", kind="hopital",
                   contact="admissions@chu-demo.example", dpo="dpo@chu-demo.example")
MUTUELLE = Organisation(id="mutuelle-demo", name="Mutuelle <Démo> & Co", kind="mutuelle",
                        contact="adhesions@mutuelle.example")
AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def compose(organisation=CHU, journey="preadmission"):
    return acknowledgement(reference="DC-7K3M-Q9P2", organisation=organisation, journey=journey,
                           recipient="angela@yopmail.com", sender="Droits Connect <ne-pas-repondre@dc.example>",
                           at=AT)


def test_the_text_says_reference_organisation_next_steps_and_rights():
    message = compose()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert message["Subject"] == "Votre dossier DC-7K3M-Q9P2 a été envoyé à Centre hospitalier de Démonstration"
    assert message["To"] == "angela@yopmail.com" and message["Content-Language"] == "fr"
    for expected in ("Référence de votre dossier : DC-7K3M-Q9P2", "Et maintenant ?", "préparer votre admission",
                     "pièce d’identité du patient", "admissions@chu-demo.example", "dpo@chu-demo.example", "CNIL",
                     "rectification"):
        assert expected in text, expected


def test_the_html_alternative_is_french_structured_and_escaped():
    html = compose(MUTUELLE, "adhesion").get_body(preferencelist=("html",)).get_content()
    assert '<html lang="fr">' in html and "<h1" in html and "<ul><li>" in html and "<title>" in html
    assert "Mutuelle &lt;Démo&gt; &amp; Co" in html and "<Démo>" not in html
    assert "mandat de prélèvement SEPA" in html and "Délégué" not in html  # no DPO declared


def test_nothing_but_the_address_comes_from_the_person():
    raw = compose().as_bytes().decode()
    assert "angela@yopmail.com" in raw
    for absent in ("Angela", "DUBOIS", "262087510790169", "2 62 08"):
        assert absent not in raw
