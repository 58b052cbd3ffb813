"""Identity.from_claims against what FranceConnect's mock identities send (france-connect/sources base.csv,
quality/fcp/cypress/fixtures/fcp-low/users.json): what is kept, what is left for the form, what is refused."""

import pytest

from app.model.identity import Identity, InvalidIdentity

BASE = {"sub": "a" * 64 + "v1", "given_name": "Angela Claire Louise", "family_name": "DUBOIS",
        "birthdate": "1962-08-24", "gender": "female", "birthplace": "75107", "birthcountry": "99100"}
DELETE = object()


def identity(**changes) -> Identity:
    claims = dict(BASE)
    for name, value in changes.items():
        if value is DELETE:
            claims.pop(name, None)
        else:
            claims[name] = value
    return Identity.from_claims(claims)


@pytest.mark.parametrize("gender", ["female", "male", "unspecified"])
def test_the_three_rnipp_genders_are_kept(gender):
    assert identity(gender=gender).gender == gender


@pytest.mark.parametrize("value", [DELETE, "", None])
def test_a_missing_gender_or_given_name_is_left_for_the_form(value):
    assert identity(gender=value).gender == ""
    person = identity(given_name=value)
    assert person.given_name == "" and person.first_names == []


@pytest.mark.parametrize("claim, value", [
    ("family_name", DELETE), ("family_name", ""), ("birthdate", DELETE), ("sub", DELETE),
    ("birthdate", "1977-00-03"),  # FC's mois_00: refused by FC itself, and by us should it come
    ("gender", "F"), ("gender", "other"),
    ("birthplace", "Alger"),  # text for a person born in France is not a commune
    ("given_name_array", "Jean Philippe"), ("given_name_array", ["Jean", 3]), ("given_name_array", ["a\nb"]),
    ("given_name_array", [""]), ("given_name_array", ["x"] * 21),
])
def test_what_anchors_a_person_or_breaks_a_format_is_refused(claim, value):
    with pytest.raises(InvalidIdentity) as raised:
        identity(**{claim: value})
    message = str(raised.value)
    assert claim in message
    if isinstance(value, str) and value:
        assert value not in message.replace(claim, "")  # the message names the claim, never its value


def test_a_birthplace_given_as_text_abroad_is_dropped():
    # naissance_etranger_birthplace_texte: FC checks birthplace only for people born in France.
    person = identity(birthplace="Alger", birthcountry="99352")
    assert person.birthplace == "" and person.born_abroad


def test_given_name_array_is_the_registry_list_even_with_a_space_inside_a_name():
    person = identity(given_name="Jean Philippe Pierre Louis", given_name_array=["Jean Philippe", "Pierre", "Louis"])
    assert person.first_names == ["Jean Philippe", "Pierre", "Louis"]
    assert Identity.from_dict(person.to_dict()) == person
    assert identity().first_names == ["Angela", "Claire", "Louise"]  # no list: split on spaces


@pytest.mark.parametrize("given, family, birthplace", [
    ("JulieéàèùòœæŒÆ", "DURANTéàèùòœæŒÆ", "2B002"),  # carac_speciaux
    ("Bertrand Cyril", "AZERTYUIOPMLKJHGFDSQWXCVBNAZERTYUIOPMLKJHGFDSQWXCVBN", "75119"),  # nom_50+_caractères
    ("Titouan", "REVEIL", "98729"),  # naissance_polynesie_française
    ("Fabien", "Fleury", "98611"),  # naissance_wallis_futuna
])
def test_mock_identities_of_franceconnect_are_read(given, family, birthplace):
    person = identity(given_name=given, family_name=family, birthplace=birthplace)
    assert (person.given_name, person.family_name, person.birthplace) == (given, family, birthplace)


def test_an_old_session_value_without_the_list_still_rebuilds():
    stored = identity().to_dict()
    del stored["given_names"]
    assert Identity.from_dict(stored).given_names == ()
