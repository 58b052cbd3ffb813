"""The standard segments of a pre-admission ADT^A05 (HL7 v2.5), constrained by IHE PAM France 2.11.1 (§ cited
at each line). Every value goes into a leaf component or an hl7apy datatype, never into ER7 text by hand.
"""

from __future__ import annotations

import re
from typing import Any

from hl7apy.core import Message

from app.delivery import hl7_values as v
from app.model.dossier import StoredDossier
from app.model.organisation import Organisation

INSEE_COMMUNE = re.compile(r"(?:[0-9]{2}|2[AB])[0-9]{3}")
# Stay type -> PV1-2 patient class and PV1-21 charge price indicator (§6.10.1, §6.10.13, §6.10.19).
STAY_CLASSES = {"hospitalisation_complete": ("I", "03"), "ambulatoire": ("I", "04"), "seances": ("R", "19")}


def header(message: Message, dossier: StoredDossier, organisation: Organisation) -> None:
    msh = message.msh
    msh.msh_3.hd_1 = v.SENDER
    # The receiving facility: the organisation's registry id (a local universal id: HD-1 is only 20 long).
    msh.msh_6.hd_2 = organisation.id
    msh.msh_6.hd_3 = "L"
    msh.msh_7.ts_1 = v.ts(dossier.created_at)  # set, or hl7apy would stamp the current time: the rendering is pure
    msh.msh_9 = "ADT^A05^ADT_A05"
    msh.msh_10 = dossier.reference
    msh.msh_11 = "P"
    msh.msh_12 = "2.5^FRA^2.11"  # §6.5: HL7 version, internationalisation code, PAM France profile version
    msh.msh_18 = "UNICODE UTF-8"  # §6.1
    message.evn.evn_1 = "A05"
    message.evn.evn_2.ts_1 = v.submitted(dossier)
    message.evn.evn_6.ts_1 = v.submitted(dossier)


def patient(message: Message, dossier: StoredDossier, organisation: Organisation) -> None:
    content, pid = dossier.content, message.pid
    pid.pid_1 = "1"
    nir = v.value(content, "nir")
    first = pid.pid_3
    if nir:
        # §6.6.1: the beneficiary's billing NIR typed NH, never the INS matricule (PID-32 is not VALI).
        first.cx_1 = v.text(nir)
        first.cx_4.hd_1, first.cx_4.hd_2, first.cx_4.hd_3 = v.NIR_AUTHORITY
        first.cx_5 = "NH"
        first = pid.add_field("PID_3")
    # PID-3 is required: the dossier reference identifies the person in our domain (PT: external identifier).
    first.cx_1 = dossier.reference
    first.cx_4.hd_1 = v.SENDER
    first.cx_5 = "PT"
    _names(pid, content)
    if v.value(content, "birth_date"):
        pid.pid_7.ts_1 = v.dt_(v.value(content, "birth_date"))
    pid.pid_8 = v.SEXES.get(v.value(content, "sex"), "U")
    _addresses(pid, content)
    _telecom(pid, content)
    if content.get("portal_reference"):
        # §6.6.9: PID-18 (NDA) is the hospital's; its own reference from the signed launch, in its domain.
        pid.pid_18.cx_1 = v.text(content["portal_reference"])
        pid.pid_18.cx_4.hd_2 = organisation.id  # HD-1 (IS) is 20 long; a registry id may be 64
        pid.pid_18.cx_4.hd_3 = "L"
        pid.pid_18.cx_5 = "AN"
    pid.pid_32 = "PROV"  # §6.6.15, table 0445 FR: provisional (FranceConnect/CNAM, not qualified through INSi)


def _names(pid, content: dict[str, Any]) -> None:
    """§6.6.2: the legal (birth) name L always, the used name D only when defined."""
    given = (v.value(content, "first_names") or "").split()
    legal = pid.pid_5
    legal.xpn_1.fn_1 = v.text(v.value(content, "birth_name") or "")
    if given:
        legal.xpn_2 = v.text(given[0])
        if len(given) > 1:
            legal.xpn_3 = v.text(" ".join(given[1:]))
    legal.xpn_7 = "L"
    if v.value(content, "usage_name"):
        used = pid.add_field("PID_5")
        used.xpn_1.fn_1 = v.text(v.value(content, "usage_name"))
        if given:
            used.xpn_2 = v.text(given[0])
        used.xpn_7 = "D"


def _addresses(pid, content: dict[str, Any]) -> None:
    """Home address (H) and birth place (BDL, XAD-9 the INSEE commune code), PAM FR annex N XAD."""
    home = None
    if v.value(content, "address") or v.value(content, "city"):
        home = pid.pid_11
        home.xad_1.sad_1 = v.text(v.value(content, "address") or "")
        if v.value(content, "address_complement"):
            home.xad_2 = v.text(v.value(content, "address_complement"))
        home.xad_3 = v.text(v.value(content, "city") or "")
        home.xad_5 = v.text(v.value(content, "postal_code") or "")
        home.xad_7 = "H"
    place, country = v.value(content, "birth_place"), v.value(content, "birth_country")
    if not place and not country:
        return
    birth = pid.add_field("PID_11") if home is not None else pid.pid_11
    if place and INSEE_COMMUNE.fullmatch(place):
        birth.xad_9 = place
    elif place:
        birth.xad_3 = v.text(place)
    if country == v.FRANCE_COG:
        birth.xad_6 = "FRA"
    elif country:
        birth.xad_8 = country  # the INSEE COG code of the country: no ISO code in the dossier
    birth.xad_7 = "BDL"


def _telecom(pid, content: dict[str, Any]) -> None:
    target = None
    for name, use, kind in (("phone", "PRN", "PH"), ("email", "NET", "Internet")):
        raw = v.value(content, name)
        if not raw:
            continue
        target = pid.pid_13 if target is None else pid.add_field("PID_13")
        target.xtn_2 = use
        target.xtn_3 = kind
        if name == "email":
            target.xtn_4 = v.text(raw)
        else:
            target.xtn_12 = v.text(raw)


def doctor(message: Message, content: dict[str, Any]) -> None:
    """§6.8.6: the médecin traitant in a ROL (ROL-3 ODRP) right after PID/PD1; PD1-4 left to ROL."""
    name = v.value(content, "medecin_traitant")
    if not name:
        return
    rol = message.add_segment("ROL")
    rol.rol_1.ei_1 = "1"
    rol.rol_2 = "AD"  # table 0287: a new role
    rol.rol_3.ce_1 = "ODRP"
    rol.rol_3.ce_2 = "Médecin traitant"
    person = rol.rol_4
    number = v.value(content, "medecin_traitant_numero_am")
    if number:
        person.xcn_1 = v.text(number)
    # The CNAM gives "first last" joined in the dossier: the whole text in the family name component.
    person.xcn_2.fn_1 = v.text(name)


# NK1-7 contact role, PAM FR table 0131: C personne à prévenir, K personne de confiance, R représentant légal.
CONTACTS = (("emergency", "C", "Personne à prévenir"), ("trusted", "K", "Personne de confiance"),
            ("guardian1", "R", "Représentant légal"), ("guardian2", "R", "Représentant légal"))


def contacts(message: Message, dossier: StoredDossier) -> None:
    """§6.9: one NK1 per person, NK1-1 and NK1-33 (identifier, type PN) filled."""
    index = 0
    for prefix, role, label in CONTACTS:
        name = v.value(dossier.content, f"{prefix}_name")
        phone = v.value(dossier.content, f"{prefix}_phone")
        if not name and not phone:
            continue
        index += 1
        nk1 = message.add_segment("NK1")
        nk1.nk1_1 = str(index)
        family, given = v.split_name(name or "")
        nk1.nk1_2.xpn_1.fn_1 = v.text(family)
        if given:
            nk1.nk1_2.xpn_2 = v.text(given)
        link = v.value(dossier.content, f"{prefix}_link")
        if link:
            nk1.nk1_3.ce_1 = "OTH"  # §6.9.1: OTH and the text when the relation is not coded
            nk1.nk1_3.ce_2 = v.text(link)
        if phone:
            nk1.nk1_5.xtn_2 = "PRN"
            nk1.nk1_5.xtn_3 = "PH"
            nk1.nk1_5.xtn_12 = v.text(phone)
        nk1.nk1_7.ce_1 = role
        nk1.nk1_7.ce_2 = label
        nk1.nk1_33.cx_1 = f"{dossier.reference}-{index}"
        nk1.nk1_33.cx_4.hd_1 = v.SENDER
        nk1.nk1_33.cx_5 = "PN"


def visit(message: Message, dossier: StoredDossier, organisation: Organisation) -> None:
    """PV1: pre-admission class, visit number; PV2-8 the expected admission date (§6.10, §6.11.4)."""
    stay = {name: entry.get("value") for name, entry in dossier.content.get("stay", {}).items()}
    patient_class, charge = STAY_CLASSES.get(stay.get("type") or "", ("I", None))
    pv1 = message.pv1
    pv1.pv1_1 = "1"
    pv1.pv1_2 = patient_class
    if stay.get("service"):
        pv1.pv1_3.pl_9 = v.text(stay["service"])  # the service as the hospital named it; the UF code is the hospital's
    pv1.pv1_4 = "R"  # table 0007 FR: routine (default)
    # §6.10.11: PV1-19 is required; a visit number of our domain until the hospital assigns its own.
    pv1.pv1_19.cx_1 = dossier.reference
    pv1.pv1_19.cx_4.hd_1 = v.SENDER
    pv1.pv1_19.cx_5 = "VN"
    if charge:
        pv1.pv1_21 = charge
    if stay.get("date"):
        message.pv2.pv2_8.ts_1 = v.dt_(stay["date"])
