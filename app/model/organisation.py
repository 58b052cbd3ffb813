"""The organisations that send people to Droits Connect and receive their dossiers."""

from __future__ import annotations

from dataclasses import dataclass, field

JOURNEY_OF_KIND = {"hopital": "preadmission", "mutuelle": "adhesion"}


@dataclass(frozen=True)
class Organisation:
    id: str  # stable, URL-safe identifier, e.g. "chu-demo"
    name: str  # as shown to the person, e.g. "Centre hospitalier de Démonstration"
    kind: str  # "hopital" | "mutuelle"
    contact: str  # where the person exercises their rights (e-mail or postal address)
    dpo: str = ""  # data protection officer's contact, when distinct
    return_urls: tuple[str, ...] = ()
    launch_secrets: tuple[str, ...] = field(default=(), repr=False)
    allow_unsigned: bool = False

    @property
    def journey(self) -> str:
        return JOURNEY_OF_KIND[self.kind]
