"""Rights: how a session dump is read back, type by type, and which error a mismatch gives."""

from __future__ import annotations

import datetime as dt

import pytest

from app.model import rights


def test_a_session_value_is_read_back_leniently_where_the_types_allow():
    stored = {"insured": {"nir": "1", "birth_rank": 2, "qualite": "enfant", "caisse": None,
                          "contracts": ({"nature": "AMO", "periods": []},), "added_by_a_later_release": "ignored"}}
    family = rights.CnamRights.from_dict(stored)
    assert family.insured == rights.Beneficiary(nir="1", birth_rank=2, qualite="enfant",
                                                contracts=(rights.Contract(nature="AMO"),))
    assert family.beneficiaries == ()


@pytest.mark.parametrize(("insured", "error"), [
    ({"nir": 1751}, "TypeError"),  # a scalar of another type
    ({"birth_rank": True}, "TypeError"),  # a bool is no int here
    ({"has_c2s_flag": "yes"}, "TypeError"),
    ({"qualite": "roi"}, "ValueError"),  # outside the vocabulary
    ({"contracts": "AMO"}, "TypeError"),  # not a list
    ({"birth_date": 19850302}, "TypeError"),  # not an ISO string
    ({"birth_date": "1985-13-02"}, "ValueError"),  # not a date
    ({"caisse": "01751"}, "TypeError"),  # not a dict
    ({"contracts": [{"nature": "AMX"}]}, "ValueError"),
])
def test_each_mismatch_names_its_kind_never_its_value(insured, error):
    with pytest.raises(rights.InvalidSessionValue) as exc:
        rights.CnamRights.from_dict({"insured": insured})
    assert str(exc.value) == f"cannot rebuild CnamRights: {error}"


def test_a_missing_required_field_is_a_type_error():
    with pytest.raises(rights.InvalidSessionValue, match="C2SStatus: TypeError$"):
        rights.C2SStatus.from_dict({"is_beneficiary": True, "with_participation": None})
    status = rights.C2SStatus.from_dict({"is_beneficiary": True, "with_participation": None, "start_date": None})
    assert status == rights.C2SStatus(True, None, None)
    dated = rights.C2SStatus.from_dict({**status.to_dict(), "start_date": "2023-06-01"})
    assert dated.start_date == dt.date(2023, 6, 1)
