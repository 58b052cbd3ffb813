"""The INSURANCE groups of a pre-admission ADT^A05: the AMO, then the C2S or the declared complementary cover
(IHE PAM France 2.11.1 §6.20: one [IN1 …] sequence per cover, IN1-2 from table 0068 redefined for France).
"""

from __future__ import annotations

from typing import Any

from hl7apy.core import Message

from app.delivery import hl7_values as v
from app.model.dossier import StoredDossier

UNKNOWN_ORGANISME = "INCONNU"  # IN1-3 is required: the dossier does not know the organisme's number
C2S_LABELS = {"oui": "Complémentaire santé solidaire", "sans_participation": "C2S sans participation",
              "avec_participation": "C2S avec participation"}


def insurances(message: Message, dossier: StoredDossier) -> None:
    content = dossier.content
    set_id = 0
    if any(v.value(content, name) for name in ("nir", "insured_nir", "caisse", "caisse_code", "amo_start")):
        set_id += 1
        _amo(message.add_group("ADT_A05_INSURANCE").in1, content, set_id)
    if v.value(content, "c2s") in C2S_LABELS:
        set_id += 1
        _c2s(message.add_group("ADT_A05_INSURANCE").in1, content, set_id)
    if v.value(content, "complementary_name"):
        set_id += 1
        _complementary(message.add_group("ADT_A05_INSURANCE").in1, content, set_id)


def _insured(in1, content: dict[str, Any], nir: str | None) -> None:
    """IN1-49: the insured's NIR typed SS (§6.6.1), and the beneficiary's quality."""
    if nir:
        in1.in1_49.cx_1 = v.text(nir)
        in1.in1_49.cx_4.hd_1, in1.in1_49.cx_4.hd_2, in1.in1_49.cx_4.hd_3 = v.NIR_AUTHORITY
        in1.in1_49.cx_5 = "SS"
    _quality(in1, content)


def _quality(in1, content: dict[str, Any]) -> None:
    """IN1-17, required (§6.20): the beneficiary's quality."""
    if v.value(content, "insured_nir"):
        # An ayant droit: the CNAM's qualité is not in the dossier, only that the patient is not the insured.
        in1.in1_17.ce_2 = "Ayant droit"
    else:
        in1.in1_17.ce_1 = "00"  # SESAM-Vitale qualité: the insured (assuré) themself
        in1.in1_17.ce_2 = "Assuré"


def _amo(in1, content: dict[str, Any], set_id: int) -> None:
    in1.in1_1 = str(set_id)
    in1.in1_2.ce_1 = "AMO"
    # IN1-3: régime + caisse + centre as the CNAM gives them (caisse_code), else unknown.
    in1.in1_3.cx_1 = v.text(v.value(content, "caisse_code") or UNKNOWN_ORGANISME)
    if v.value(content, "caisse"):
        in1.in1_4.xon_1 = v.text(v.value(content, "caisse"))
    if v.value(content, "amo_start"):
        in1.in1_12 = v.dt_(v.value(content, "amo_start"))
    if v.value(content, "amo_end"):
        in1.in1_13 = v.dt_(v.value(content, "amo_end"))
    exemption = v.value(content, "exoneration")
    if isinstance(exemption, list) and exemption and exemption[0].get("code"):
        in1.in1_15 = str(exemption[0]["code"])[:3]  # IN1-15: justificatif d'exonération du TM (IS[3])
    _insured(in1, content, v.value(content, "insured_nir") or v.value(content, "nir"))


def _c2s(in1, content: dict[str, Any], set_id: int) -> None:
    """The C2S as a complementary cover: table 0068 FR still says CMUC (CMU complémentaire)."""
    in1.in1_1 = str(set_id)
    in1.in1_2.ce_1 = "CMUC"
    in1.in1_2.ce_2 = C2S_LABELS[v.value(content, "c2s")]
    in1.in1_3.cx_1 = UNKNOWN_ORGANISME  # managed by the caisse or a listed organisme: not said
    if v.value(content, "c2s_since"):
        in1.in1_12 = v.dt_(v.value(content, "c2s_since"))
    in1.in1_31 = "89"  # §6.20.2: bénéficiaire de la CMUC en cours
    _insured(in1, content, v.value(content, "insured_nir") or v.value(content, "nir"))


def _complementary(in1, content: dict[str, Any], set_id: int) -> None:
    in1.in1_1 = str(set_id)
    in1.in1_2.ce_1 = "AMC"
    in1.in1_3.cx_1 = UNKNOWN_ORGANISME
    in1.in1_4.xon_1 = v.text(v.value(content, "complementary_name"))
    number = v.value(content, "complementary_number")
    if number:
        in1.in1_49.cx_1 = v.text(number)  # §6.20.2: the n° d'adhérent
    _quality(in1, content)
