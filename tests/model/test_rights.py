"""Rights: how a session dump is read back, type by type, and which error a mismatch gives."""

from __future__ import annotations

import datetime as dt

import pytest

from app.model import rights
from tests.journeys.factories import c2s_ok, family


def test_a_session_value_is_read_back_leniently_where_the_types_allow():
    stored = {"insured": {"nir": "1", "birth_rank": 2, "qualite": "enfant", "caisse": None,
                          "contracts": ({"nature": "AMO", "periods": []},), "added_by_a_later_release": "ignored"}}
    family = rights.CnamRights.from_dict(stored)
    assert family.insured == rights.Beneficiary(nir="1", birth_rank=2, qualite="enfant",
                                                contracts=(rights.Contract(nature="AMO"),))
    assert family.beneficiaries == ()


@pytest.mark.parametrize("insured", [
    {"nir": 1751},  # a scalar of another type
    {"birth_rank": True},  # a bool is no int here
    {"birth_rank": 2.0},  # nor a float
    {"has_c2s_flag": "yes"},
    {"qualite": "roi"},  # outside the vocabulary
    {"contracts": "AMO"},  # not a list
    {"birth_date": 19850302},  # not an ISO string
    {"birth_date": "1985-13-02"},  # not a date
    {"caisse": "01751"},  # not a dict
    {"contracts": [{"nature": "AMX"}]},
    {"contracts": [{"periods": [{"start": "someday"}]}]},  # deep down
])
def test_each_mismatch_names_the_class_never_the_value(insured):
    with pytest.raises(rights.InvalidSessionValue) as exc:
        rights.CnamRights.from_dict({"insured": insured})
    assert str(exc.value) == "cannot rebuild CnamRights: ValidationError"  # msgspec's own message quotes the value
    assert exc.value.__cause__ is None and exc.value.__suppress_context__


def test_a_value_that_is_no_mapping_is_refused():
    for stored in (None, "x", ["insured"], 3):
        with pytest.raises(rights.InvalidSessionValue):
            rights.CnamRights.from_dict(stored)


def test_a_family_is_read_back_as_it_was_written():
    assert rights.CnamRights.from_dict(family().to_dict()) == family()
    assert rights.C2SStatus.from_dict(c2s_ok().data.to_dict()) == c2s_ok().data


def test_a_missing_required_field_is_refused():
    with pytest.raises(rights.InvalidSessionValue, match="C2SStatus: ValidationError$"):
        rights.C2SStatus.from_dict({"is_beneficiary": True, "with_participation": None})
    status = rights.C2SStatus.from_dict({"is_beneficiary": True, "with_participation": None, "start_date": None})
    assert status == rights.C2SStatus(True, None, None)
    dated = rights.C2SStatus.from_dict({**status.to_dict(), "start_date": "2023-06-01"})
    assert dated.start_date == dt.date(2023, 6, 1)
