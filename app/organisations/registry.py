"""The registry of organisations: a TOML file, one `[organisations.<slug>]` table each, checked in full at start-up.

Every refusal is a `ConfigError` naming the file, the organisation and the key, never a secret's value; an unknown
key is refused, so that a typo cannot silently leave a default in place. See instance/organisations.example.toml.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from app.config_values import ConfigError
from app.model.dossier import is_organisation
from app.model.organisation import (
    DELIVERED_RETENTION_DAYS,
    JOURNEY_OF_KIND,
    SOURCES,
    Branding,
    Organisation,
    Webhook,
)
from app.organisations import checks

ORGANISATION_KEYS = frozenset({
    "name", "kind", "contact", "dpo", "siret", "sources", "return_urls", "launch_secrets", "api_key_hashes",
    "webhook", "branding", "retention_days", "delivered_retention_days", "allow_unsigned", "ics",
})
BRANDING_KEYS = frozenset({"display_name", "logo", "accent_colour"})
WEBHOOK_KEYS = frozenset({"url", "secret", "previous_secrets"})


def load_registry(path: Path, *, production: bool, logos_dir: Path | None = None) -> dict[str, Organisation]:
    """The organisations declared in the TOML file at `path`, by slug."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message gives a position, never the offending value.
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return parse_registry(data, origin=path.name, production=production, logos_dir=logos_dir)


def parse_registry(data: Mapping[str, Any], *, origin: str, production: bool,
                   logos_dir: Path | None = None) -> dict[str, Organisation]:
    """The organisations of an already decoded registry document."""
    unknown = sorted(set(data) - {"organisations"})
    if unknown:
        raise ConfigError(f"{origin}: unknown top-level key(s) {', '.join(unknown)}; "
                          f"each organisation is a table [organisations.<slug>]")
    tables = data.get("organisations", {})
    if not isinstance(tables, Mapping):
        raise ConfigError(f"{origin}: organisations must be tables [organisations.<slug>]")
    return {slug: _Entry(origin, slug, table).organisation(production=production, logos_dir=logos_dir)
            for slug, table in tables.items()}


class _Entry:
    """One organisation's table being read: typed reads whose refusals name the organisation and the key."""

    def __init__(self, origin: str, slug: str, table: Any) -> None:
        self.origin, self.slug = origin, slug
        if not checks.SLUG.fullmatch(slug) or not is_organisation(slug):
            raise ConfigError(f"{origin}: organisation identifier {slug!r} must be 1-40 lowercase letters, digits "
                              f"or dashes")
        self.table = self._table("", table, ORGANISATION_KEYS)

    def organisation(self, *, production: bool, logos_dir: Path | None) -> Organisation:
        kind = self.string("kind")
        if kind not in JOURNEY_OF_KIND:
            raise self.error("kind", f"must be one of {', '.join(JOURNEY_OF_KIND)}, got {kind!r}")
        name = self.string("name")
        organisation = Organisation(
            id=self.slug, name=name, kind=kind, contact=self.string("contact"),
            dpo=self.string("dpo", required=False) or "",
            siret=self.checked("siret", checks.siret, self.string("siret", required=False)) or "",
            sources=self.sources(),
            return_urls=self.strings("return_urls", checks.return_url),
            launch_secrets=self.strings("launch_secrets", checks.launch_secret),
            api_key_hashes=self.strings("api_key_hashes", checks.api_key_hash),
            webhook=self.webhook(),
            branding=self.branding(name, logos_dir),
            retention_days=self.days("retention_days"),
            delivered_retention_days=self.days("delivered_retention_days") or DELIVERED_RETENTION_DAYS,
            allow_unsigned=self.boolean("allow_unsigned"),
            ics=self.ics(kind),
        )
        if production:
            self._refuse_development_secrets(organisation)
        return organisation

    # Values

    def string(self, key: str, *, required: bool = True, table: Mapping | None = None) -> str | None:
        value = (self.table if table is None else table).get(key.rpartition(".")[2])
        if value is None:
            if required:
                raise self.error(key, "is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string")
        return value.strip()

    def strings(self, key: str, check: Callable[[str], str], *, table: Mapping | None = None,
                prefix: str = "") -> tuple[str, ...]:
        values = (self.table if table is None else table).get(key, [])
        key = prefix + key
        if not isinstance(values, list):
            raise self.error(key, "must be a list of strings")
        checked = []
        for number, value in enumerate(values):
            if not isinstance(value, str):
                raise self.error(f"{key}[{number}]", "must be a string")
            checked.append(self.checked(f"{key}[{number}]", check, value))
        if len(set(checked)) != len(checked):
            raise self.error(key, "lists the same value twice")
        return tuple(checked)

    def checked(self, key: str, check: Callable[[str], str], value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check(value)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def boolean(self, key: str) -> bool:
        value = self.table.get(key, False)
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def sources(self) -> tuple[str, ...]:
        def known(source: str) -> str:
            if source not in SOURCES:
                raise ValueError(f"must be one of {', '.join(SOURCES)}, got {source!r}")
            return source

        return self.strings("sources", known) if "sources" in self.table else SOURCES

    def days(self, key: str) -> int | None:
        value = self.table.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise self.error(key, "must be a whole number of days, at least 1")
        return value

    def ics(self, kind: str) -> str | None:
        value = self.checked("ics", checks.ics, self.string("ics", required=False))
        if value is not None and kind != "mutuelle":
            raise self.error("ics", "is a SEPA creditor identifier: only a mutuelle collects contributions")
        return value

    def webhook(self) -> Webhook | None:
        if "webhook" not in self.table:
            return None
        table = self._table("webhook", self.table["webhook"], WEBHOOK_KEYS)
        url = self.checked("webhook.url", checks.webhook_url, self.string("webhook.url", table=table))
        secret = self.checked("webhook.secret", checks.webhook_secret, self.string("webhook.secret", table=table))
        previous = self.strings("previous_secrets", checks.webhook_secret, table=table, prefix="webhook.")
        if secret in previous:
            raise self.error("webhook.previous_secrets", "repeats the current secret")
        return Webhook(url=url, secret=secret, previous_secrets=previous)

    def branding(self, name: str, logos_dir: Path | None) -> Branding:
        table = self._table("branding", self.table.get("branding", {}), BRANDING_KEYS)
        logo = self.checked("branding.logo", checks.logo, self.string("branding.logo", required=False, table=table))
        if logo is not None and logos_dir is not None and not (logos_dir / logo).is_file():
            raise self.error("branding.logo", f"names {logo}, which is not in {logos_dir}")
        colour = self.string("branding.accent_colour", required=False, table=table)
        return Branding(
            display_name=self.string("branding.display_name", required=False, table=table) or name,
            logo=logo,
            accent_colour=self.checked("branding.accent_colour", checks.accent_colour, colour),
        )

    # Refusals

    def _refuse_development_secrets(self, organisation: Organisation) -> None:
        for number, secret in enumerate(organisation.launch_secrets):
            if "sandbox" in secret.lower():
                raise self.error(f"launch_secrets[{number}]", "is a sandbox secret, refused in production: "
                                 f"make one with flask organisations new-secret {self.slug}")
        if organisation.webhook and "sandbox" in organisation.webhook.secret.lower():
            raise self.error("webhook.secret", "is a sandbox secret, refused in production")

    def _table(self, key: str, value: Any, allowed: frozenset[str]) -> Mapping[str, Any]:
        where = f"[organisations.{self.slug}{'.' + key if key else ''}]"
        if not isinstance(value, Mapping):
            raise ConfigError(f"{self.origin}: {where} must be a table")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ConfigError(f"{self.origin}: {where} has unknown key(s) {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(allowed))})")
        return value

    def error(self, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.origin}: organisation {self.slug!r}: {key} {reason}")
