"""The data providers' settings: which rights sources this deployment uses, where they answer, the retrieval's budget.

See shared/reference/data-providers.md. URLs and credentials default to the sandbox's when it is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.config_values import ConfigError, as_bool, as_number, as_str, check_url, validate_siret

DEFAULTS: dict[str, Any] = {
    "RIGHTS_SOURCES": "c2s cnam",
    "RIGHTS_DEADLINE": 10.0,
    "PROVIDER_CONNECT_TIMEOUT": 3.05,
    "PROVIDER_CALL_TIMEOUT": 5.0,
    "API_PARTICULIER_URL": None,
    "API_PARTICULIER_RECIPIENT": None,
    "CNAM_API_URL": None,
    "CNAM_API_KEY": None,
    "CNAM_EXONERATIONS": True,  # only ever fetched for healthcare establishments (journeys.signin)
    # The circuit breaker of each provider: open when this many distinct sign-ins failed within the window (and
    # they are at least half of the sign-ins seen), for the cooldown; then one trial sign-in.
    "PROVIDER_BREAKER_SIGN_INS": 3,
    "PROVIDER_BREAKER_WINDOW": 60.0,
    "PROVIDER_BREAKER_COOLDOWN": 30.0,
    # API Particulier's limits with a 20 % margin (data-providers.md A.10: 20 a second per token, 1,000 a minute
    # per IP, a 12 h ban beyond), counted across every worker and instance when REDIS_URL is set.
    "API_PARTICULIER_MAX_PER_SECOND": 16,
    "API_PARTICULIER_MAX_PER_MINUTE": 800,
}

DEV_RECIPIENT = "13002526500013"  # the SIRET API Particulier's own staging examples use
DEV_CNAM_API_KEY = "sandbox-cnam-api-key"
CNAM_SANDBOX_PATH = "/test/v1/droits/beneficiaires"  # the path of the CNAM's published test server

# Each data source and the FranceConnect scope that lets its provider answer (data-providers.md A.4, B.3).
SOURCE_SCOPES = {"c2s": "complementaire_sante_solidaire", "cnam": "droits_assurance_maladie"}
# Overall budget of a retrieval: the FranceConnect access token dies 60 s after it is issued.
MAX_RIGHTS_DEADLINE = 30.0
# The settings each source cannot do without.
_NEEDED = {"c2s": ("API_PARTICULIER_URL", "API_PARTICULIER_RECIPIENT"), "cnam": ("CNAM_API_URL", "CNAM_API_KEY")}


@dataclass(frozen=True)
class ProviderSettings:
    sources: tuple[str, ...]  # the data sources this deployment may use: "c2s", "cnam"
    deadline: float
    connect_timeout: float
    call_timeout: float
    api_particulier_url: str
    recipient: str
    cnam_url: str
    cnam_api_key: str = field(repr=False)
    cnam_exonerations: bool = False  # only healthcare establishments may receive exonérations
    breaker_sign_ins: int = 3
    breaker_window: float = 60.0
    breaker_cooldown: float = 30.0
    api_particulier_per_second: int = 16
    api_particulier_per_minute: int = 800

    def scopes_for(self, sources) -> tuple[str, ...]:
        return tuple(SOURCE_SCOPES[s] for s in self.sources if s in sources)

    def sign_in_scopes(self, all_scopes: tuple[str, ...], sources) -> tuple[str, ...]:
        """The identity scopes plus the data scopes of the chosen sources, and nothing else."""
        data_scopes = set(SOURCE_SCOPES.values())
        return tuple(s for s in all_scopes if s not in data_scopes) + self.scopes_for(sources)


def configured_sources(config: Mapping) -> tuple[str, ...]:
    """The sources RIGHTS_SOURCES names, in SOURCE_SCOPES order; an unknown one is refused."""
    raw = config.get("RIGHTS_SOURCES")
    if isinstance(raw, (list, tuple)):
        sources = tuple(raw)
    else:
        sources = tuple((as_str(config, "RIGHTS_SOURCES") or "").split())
    unknown = sorted(set(sources) - set(SOURCE_SCOPES))
    if unknown:
        raise ConfigError(f"RIGHTS_SOURCES: unknown source(s) {', '.join(unknown)} (known: c2s, cnam)")
    return tuple(s for s in SOURCE_SCOPES if s in sources)


def load_provider_settings(config: Mapping, *, production: bool, sandbox: bool, sandbox_url: str) -> ProviderSettings:
    """Coerce and validate the providers' settings; refuse a source whose URL or credentials are missing."""
    sources = configured_sources(config)
    deadline = as_number(config, "RIGHTS_DEADLINE", float, 1.0)
    if deadline > MAX_RIGHTS_DEADLINE:
        raise ConfigError(f"RIGHTS_DEADLINE must stay far below the access token's 60 s (≤ {MAX_RIGHTS_DEADLINE:g} s)")
    values = _endpoints(config, sandbox=sandbox, sandbox_url=sandbox_url)
    missing = [key for source in sources for key in _NEEDED[source] if not values[key]]
    if missing:
        raise ConfigError(f"missing setting(s) for RIGHTS_SOURCES: {', '.join(missing)}")
    if production and values["CNAM_API_KEY"] == DEV_CNAM_API_KEY and "cnam" in sources:
        raise ConfigError("CNAM_API_KEY is the sandbox's development key; set the real one")
    recipient = values["API_PARTICULIER_RECIPIENT"]
    return ProviderSettings(
        sources=sources,
        deadline=deadline,
        connect_timeout=as_number(config, "PROVIDER_CONNECT_TIMEOUT", float, 0.1),
        call_timeout=as_number(config, "PROVIDER_CALL_TIMEOUT", float, 0.1),
        api_particulier_url=_checked_url("API_PARTICULIER_URL", values, production=production),
        recipient=validate_siret(recipient, "API_PARTICULIER_RECIPIENT") if recipient else "",
        cnam_url=_checked_url("CNAM_API_URL", values, production=production),
        cnam_api_key=values["CNAM_API_KEY"] or "",
        cnam_exonerations=bool(as_bool(config, "CNAM_EXONERATIONS")),
        **_protection(config),
    )


def _protection(config: Mapping) -> dict[str, Any]:
    per_second = as_number(config, "API_PARTICULIER_MAX_PER_SECOND", int, 1)
    per_minute = as_number(config, "API_PARTICULIER_MAX_PER_MINUTE", int, 1)
    if per_second > 20 or per_minute > 1000:
        raise ConfigError("API_PARTICULIER_MAX_PER_SECOND/_PER_MINUTE must stay within API Particulier's limits "
                          "(20 a second, 1,000 a minute: beyond, the IP is banned for 12 h)")
    return dict(breaker_sign_ins=as_number(config, "PROVIDER_BREAKER_SIGN_INS", int, 1),
                breaker_window=as_number(config, "PROVIDER_BREAKER_WINDOW", float, 1.0),
                breaker_cooldown=as_number(config, "PROVIDER_BREAKER_COOLDOWN", float, 1.0),
                api_particulier_per_second=per_second, api_particulier_per_minute=per_minute)


def _endpoints(config: Mapping, *, sandbox: bool, sandbox_url: str) -> dict[str, Any]:
    """The providers' URLs and credentials as configured, or the sandbox's when it is on."""
    configured = {
        "API_PARTICULIER_URL": as_str(config, "API_PARTICULIER_URL"),
        # Kept raw: a SIRET arrives as an int from the environment, validate_siret coerces it.
        "API_PARTICULIER_RECIPIENT": config.get("API_PARTICULIER_RECIPIENT"),
        "CNAM_API_URL": as_str(config, "CNAM_API_URL"),
        "CNAM_API_KEY": as_str(config, "CNAM_API_KEY"),
    }
    if not sandbox:
        return configured
    sandbox_values = {
        "API_PARTICULIER_URL": sandbox_url,
        "API_PARTICULIER_RECIPIENT": DEV_RECIPIENT,
        "CNAM_API_URL": sandbox_url + CNAM_SANDBOX_PATH,
        "CNAM_API_KEY": DEV_CNAM_API_KEY,
    }
    return {key: value or sandbox_values[key] for key, value in configured.items()}


def _checked_url(key: str, values: Mapping[str, Any], *, production: bool) -> str:
    return check_url(key, values[key], production=production) if values[key] else ""
