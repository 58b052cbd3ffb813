"""The HL7 v2.5 ADT^A05 rendering: built with hl7apy, parsed back with it, field by field (IHE PAM France 2.11.1
section numbers in the comments)."""

from __future__ import annotations

import dataclasses

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message, parse_segment

from app.delivery.hl7 import to_adt_a05
from tests.delivery import fixtures

ESCAPES = {"\\F\\": "|", "\\S\\": "^", "\\T\\": "&", "\\R\\": "~", "\\E\\": "\\"}


def _unescape(text: str) -> str:
    for sequence, char in ESCAPES.items():
        text = text.replace(sequence, char)
    return text


def _segments(er7: str) -> list[str]:
    return er7.split("\r")


def _segment(er7: str, name: str, index: int = 0):
    lines = [line for line in _segments(er7) if line.startswith(name + "|")]
    return parse_segment(lines[index], version="2.5", validation_level=VALIDATION_LEVEL.TOLERANT)


def _standard(er7: str) -> str:
    """The message without its Z-segment, for hl7apy's strict v2.5 ADT_A05 structure."""
    return "\r".join(line for line in _segments(er7) if not line.startswith("Z"))


def test_segment_order_follows_pam_france():
    er7 = to_adt_a05(fixtures.preadmission(), fixtures.CHU)
    # §5.2: MSH EVN PID [PD1] [ROL] [NK1]* PV1 [PV2] ZBE … {IN1 [IN2] [IN3]}*
    assert [line[:3] for line in _segments(er7)] == ["MSH", "EVN", "PID", "ROL", "NK1", "NK1", "PV1", "PV2",
                                                      "ZBE", "IN1", "IN1", "IN1"]


def test_the_message_parses_back_strictly_and_whole():
    er7 = to_adt_a05(fixtures.preadmission_of_child(), fixtures.CHU)
    strict = parse_message(_standard(er7), validation_level=VALIDATION_LEVEL.STRICT)
    strict.validate()
    whole = parse_message(er7, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False)
    assert [segment.name for segment in whole.children][:3] == ["MSH", "EVN", "PID"]
    assert "ZBE" in [segment.name for segment in whole.children]


def test_header_is_pam_france_2_11():
    er7 = to_adt_a05(fixtures.preadmission(), fixtures.CHU)
    msh = parse_message(_standard(er7), validation_level=VALIDATION_LEVEL.STRICT).msh
    assert msh.msh_9.to_er7() == "ADT^A05^ADT_A05"
    assert msh.msh_12.to_er7() == "2.5^FRA^2.11"  # §6.5
    assert msh.msh_18.to_er7() == "UNICODE UTF-8"  # §6.1
    assert msh.msh_10.to_er7() == "DC-7K3M-Q9P2"
    assert msh.msh_7.to_er7() == "20261122131001"  # the dossier's time, not the clock's


def test_the_rendering_is_stable():
    dossier = fixtures.preadmission()
    assert to_adt_a05(dossier, fixtures.CHU) == to_adt_a05(dossier, fixtures.CHU)


def test_pid_identity_is_provisional_and_the_nir_is_a_billing_nir():
    er7 = to_adt_a05(fixtures.preadmission(), fixtures.CHU)
    pid = _segment(er7, "PID")
    nir, ours = pid.pid_3
    # §6.6.1: the beneficiary's NIR typed NH with the NIR OID; never the INS (which needs PID-32 = VALI).
    assert nir.to_er7() == "262087510790169^^^ASIP-SANTE-NIR&1.2.250.1.213.1.4.8&ISO^NH"
    assert ours.to_er7() == "DC-7K3M-Q9P2^^^DROITS-CONNECT^PT"
    assert "INS" not in pid.pid_3[0].cx_5.to_er7()
    assert pid.pid_32.to_er7() == "PROV"  # §6.6.15
    assert pid.pid_5.to_er7() == "DUBOIS^Angela^Claire Louise^^^^L"  # §6.6.2
    assert pid.pid_7.to_er7() == "19620824" and pid.pid_8.to_er7() == "F"
    home, birth = pid.pid_11
    assert home.to_er7() == "12 rue des Lilas^Bâtiment B^Paris^^75012^^H"
    assert birth.xad_9.to_er7() == "75107" and birth.xad_7.to_er7() == "BDL" and birth.xad_6.to_er7() == "FRA"
    assert pid.pid_13.xtn_12.to_er7() == "+33612345678"
    assert pid.pid_18.to_er7() == "ADM-2026-0042^^^&chu-demo&L^AN"


def test_used_name_is_sent_as_type_d():
    from app.model.journey import People
    from tests.journeys.factories import PIERRE, cnam_ok, family
    dossier = fixtures.preadmission(identity=PIERRE, results={"cnam": cnam_ok(family())}, people=People(),
                                    declared={**fixtures.TYPED, "sex": "M"})
    legal, used = _segment(to_adt_a05(dossier, fixtures.CHU), "PID").pid_5
    assert legal.to_er7() == "MERCIER^Pierre^^^^^L" and used.to_er7() == "DUBOIS^Pierre^^^^^D"


def test_doctor_contacts_and_guardians():
    er7 = to_adt_a05(fixtures.preadmission(), fixtures.CHU)
    rol = _segment(er7, "ROL")
    assert rol.rol_3.ce_1.to_er7() == "ODRP" and rol.rol_4.xcn_1.to_er7() == "751999001"  # §6.8.2
    emergency, trusted = _segment(er7, "NK1", 0), _segment(er7, "NK1", 1)
    assert emergency.nk1_7.ce_1.to_er7() == "C" and trusted.nk1_7.ce_1.to_er7() == "K"  # §6.9.2, table 0131
    assert emergency.nk1_2.to_er7() == "DUBOIS^Paul" and emergency.nk1_3.to_er7() == "OTH^Frère"
    assert emergency.nk1_33.cx_5.to_er7() == "PN"  # §6.9.3: required, type PN
    child = to_adt_a05(fixtures.preadmission_of_child(), fixtures.CHU)
    guardians = [_segment(child, "NK1", i) for i in (2, 3)]
    assert [g.nk1_7.ce_1.to_er7() for g in guardians] == ["R", "R"]
    assert [g.nk1_1.to_er7() for g in guardians] == ["3", "4"]


def test_visit_is_a_pre_admission_with_expected_date_and_service():
    er7 = to_adt_a05(fixtures.preadmission(), fixtures.CHU)
    pv1 = _segment(er7, "PV1")
    assert pv1.pv1_2.to_er7() == "I"  # §6.10.1: HL7's P is not in the French list
    assert pv1.pv1_3.pl_9.to_er7() == "Chirurgie orthopédique"
    assert pv1.pv1_19.to_er7() == "DC-7K3M-Q9P2^^^DROITS-CONNECT^VN"  # §6.10.11: required
    assert pv1.pv1_21.to_er7() == "03"
    assert _segment(er7, "PV2").pv2_8.to_er7() == "20261201"  # §6.11.4


def test_zbe_inserts_the_current_movement():
    zbe = [line for line in _segments(to_adt_a05(fixtures.preadmission(), fixtures.CHU)) if line[:3] == "ZBE"][0]
    fields = zbe.split("|")
    # §6.13: ZBE-1 movement id (EI), ZBE-2 creation, ZBE-3 forbidden, ZBE-4 INSERT, ZBE-5 N, ZBE-9 nature.
    assert fields[1] == "DC-7K3M-Q9P2^DROITS-CONNECT"
    assert fields[2] == "20261122131000" and fields[3] == ""
    assert fields[4] == "INSERT" and fields[5] == "N" and fields[9] == "HMS"


def test_insurance_amo_c2s_and_complementary():
    er7 = to_adt_a05(fixtures.preadmission(), fixtures.CHU)
    amo, c2s, amc = (_segment(er7, "IN1", i) for i in range(3))
    assert amo.in1_2.to_er7() == "AMO" and amo.in1_3.to_er7() == "01751"  # §6.20.1, table 0068 FR
    assert amo.in1_4.to_er7() == "CPAM de Paris" and amo.in1_12.to_er7() == "19800901"
    assert amo.in1_49.to_er7() == "262087510790169^^^ASIP-SANTE-NIR&1.2.250.1.213.1.4.8&ISO^SS"  # §6.6.1
    assert amo.in1_17.ce_1.to_er7() == "00"
    assert c2s.in1_2.ce_1.to_er7() == "CMUC" and c2s.in1_12.to_er7() == "20230201" and c2s.in1_31.to_er7() == "89"
    assert amc.in1_2.to_er7() == "AMC" and amc.in1_4.to_er7() == "Mutuelle des Lilas"
    assert amc.in1_49.to_er7() == "AD-778899"


def test_an_ayant_droit_carries_the_insured_nir_in_in1_49():
    er7 = to_adt_a05(fixtures.preadmission_of_child(), fixtures.CHU)
    [amo] = [_segment(er7, "IN1")]
    assert amo.in1_49.cx_1.to_er7() == "169039527790269"
    assert _segment(er7, "PID").pid_3[0].cx_1.to_er7() == "214069527791236"
    assert len([line for line in _segments(er7) if line.startswith("IN1")]) == 1  # C2S "non", no mutuelle


@pytest.mark.parametrize("name", ["DU|BOIS", "DU^BOIS", "DU&BOIS", "DU~BOIS", "DU\\BOIS", "A|^&~\\B"])
def test_delimiters_in_values_are_escaped(name):
    dossier = fixtures.preadmission()
    content = {**dossier.content, "fields": {**dossier.content["fields"],
                                             "birth_name": {"value": name, "source": "declared", "at": None},
                                             "emergency_link": {"value": name, "source": "declared", "at": None},
                                             "city": {"value": name, "source": "declared", "at": None}}}
    er7 = to_adt_a05(dataclasses.replace(dossier, content=content), fixtures.CHU)
    assert len(_segments(er7)) == 12  # no segment broken in two
    pid = _segment(er7, "PID")
    assert len(er7.split("\r")[2].split("|")) == 33  # PID still ends at PID-32
    assert _unescape(pid.pid_5.xpn_1.fn_1.to_er7()) == name
    assert _unescape(pid.pid_11[0].xad_3.to_er7()) == name
    assert _unescape(_segment(er7, "NK1").nk1_3.ce_2.to_er7()) == name
    assert pid.pid_32.to_er7() == "PROV"


def test_an_adhesion_has_no_adt_a05():
    with pytest.raises(ValueError):
        to_adt_a05(fixtures.adhesion(), fixtures.MUTUELLE)


def test_nothing_is_logged(caplog):
    caplog.set_level("DEBUG")
    to_adt_a05(fixtures.preadmission(), fixtures.CHU)
    assert not [r for r in caplog.records if r.name.startswith("app")]


def test_a_dossier_with_nothing_certified():
    er7 = to_adt_a05(fixtures.preadmission_with_nothing_certified(), fixtures.CHU)
    parse_message(_standard(er7), validation_level=VALIDATION_LEVEL.STRICT).validate()
    assert [line[:3] for line in _segments(er7)] == ["MSH", "EVN", "PID", "NK1", "PV1", "ZBE"]
    pid = _segment(er7, "PID")
    assert pid.pid_3.to_er7() == "DC-2A3B-4C5D^^^DROITS-CONNECT^PT"  # no NIR, only our reference
    assert pid.pid_18.to_er7() == "" and pid.pid_32.to_er7() == "PROV"


def test_no_ins_identifier_and_no_validated_status():
    # §6.6.1: the INS matricule only with PID-32 = VALI; PID-3 holds only the billing NIR (NH) and our reference.
    for dossier in (fixtures.preadmission(), fixtures.preadmission_of_child(),
                    fixtures.preadmission_with_nothing_certified()):
        pid = _segment(to_adt_a05(dossier, fixtures.CHU), "PID")
        assert {identifier.cx_5.to_er7() for identifier in pid.pid_3} <= {"NH", "PT"}
        assert pid.pid_32.to_er7() == "PROV"


def test_a_long_organisation_id_fits():
    # Registry ids are up to 64 characters; HD-1 (IS) holds 20, so the id goes in HD-2 with HD-3 "L".
    organisation = dataclasses.replace(fixtures.CHU, id="centre-hospitalier-universitaire-de-demonstration-site-nord")
    er7 = to_adt_a05(fixtures.preadmission(), organisation)
    assert _segment(er7, "PID").pid_18.cx_4.to_er7() == f"&{organisation.id}&L"
