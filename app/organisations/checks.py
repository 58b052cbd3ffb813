"""The checks of one registry value each: a `ValueError` with an English reason when it is refused.

The registry (registry.py) names the organisation and the key in front of the reason; a reason never repeats a
secret's value.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlsplit

from stdnum.fr import siret as fr_siret
from stdnum.iso7064 import mod_97_10

from app.config_values import is_loopback

SLUG = re.compile(r"[a-z0-9-]{1,40}")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
API_KEY_HASH = re.compile(r"sha256:[0-9a-f]{64}")
# A French SEPA creditor identifier: FR, two check digits, a 3-character business code, a 6-character national one.
ICS = re.compile(r"FR[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{6}")
LOGO_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg")
MIN_CONTRAST = 4.5  # WCAG 2.1 AA, normal text
MIN_LAUNCH_SECRET_BYTES = 32  # HS256 keys at least as long as the hash (RFC 7518, section 3.2)
MIN_WEBHOOK_SECRET_BYTES = 24  # Standard Webhooks: 24 to 64 random bytes


def siret(value: str) -> str:
    if not fr_siret.is_valid(value) or not re.fullmatch(r"[0-9]{14}", value):
        raise ValueError("must be a valid SIRET (14 digits with a correct Luhn key)")
    return value


def return_url(url: str) -> str:
    """An exact return URL, kept as written once it passes: the launch link must name it character for character."""
    parts = _absolute_url(url)
    if not parts.path:
        raise ValueError(f"must have an explicit path, e.g. {url}/retour")
    return url


def webhook_url(url: str) -> str:
    _absolute_url(url)
    return url


def _absolute_url(url: str):
    if not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
        raise ValueError("must be an ASCII URL without spaces")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an absolute https URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError("must use https (only a loopback host such as 127.0.0.1 may use http)")
    _refuse_extras(url, parts)
    return parts


def _refuse_extras(url: str, parts) -> None:
    """What an exact URL may not carry: credentials, a query or a fragment (even empty), capitals in its host."""
    if "@" in parts.netloc:
        raise ValueError("must not carry a user name or password")
    if "?" in url:
        raise ValueError("must not carry a query string")
    if "#" in url:
        raise ValueError("must not carry a fragment")
    # The host as written (urlsplit's hostname is already lowercased); an IPv6 literal keeps its brackets.
    host = parts.netloc if parts.netloc.endswith("]") else parts.netloc.rsplit(":", 1)[0]
    if host != host.lower():
        raise ValueError("must have a lowercase host name")
    try:
        parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None


def launch_secret(secret: str) -> str:
    if len(secret.encode()) < MIN_LAUNCH_SECRET_BYTES:
        raise ValueError(f"must be at least {MIN_LAUNCH_SECRET_BYTES} bytes long "
                         f"(flask organisations new-secret makes one)")
    return secret


def webhook_secret(secret: str) -> str:
    prefix, _, encoded = secret.partition("_")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if prefix != "whsec" or len(raw) < MIN_WEBHOOK_SECRET_BYTES:
        raise ValueError(f'must be a Standard Webhooks secret "whsec_<base64 of at least '
                         f'{MIN_WEBHOOK_SECRET_BYTES} random bytes>"')
    return secret


def api_key_hash(value: str) -> str:
    if not API_KEY_HASH.fullmatch(value):
        raise ValueError('must be "sha256:" followed by 64 lowercase hexadecimal digits')
    return value


def accent_colour(value: str) -> str:
    if not COLOUR.fullmatch(value):
        raise ValueError('must be a colour written "#rrggbb"')
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise ValueError(f"{value} has a contrast of {ratio:.2f}:1 with white; at least {MIN_CONTRAST}:1 is "
                         f"needed for text to stay readable (WCAG 2.1 AA)")
    return value.lower()


def contrast_with_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio (L1 + 0.05) / (L2 + 0.05) of a "#rrggbb" colour against white (luminance 1)."""
    return 1.05 / (_relative_luminance(colour) + 0.05)


def _relative_luminance(colour: str) -> float:
    # https://www.w3.org/TR/WCAG21/#dfn-relative-luminance
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def ics(value: str) -> str:
    """A French SEPA creditor identifier (ICS), e.g. FR72ZZZ123456."""
    if not ICS.fullmatch(value):
        raise ValueError("must be a French SEPA creditor identifier such as FR72ZZZ123456 "
                         "(FR, 2 check digits, a 3-character business code, 6 characters)")
    # The check digits cover the national identifier, then the country code and the check digits themselves;
    # the business code (positions 5-7) is left out (EPC262-08, section 6).
    rearranged = value[7:] + value[:4]
    if not mod_97_10.is_valid("".join(str(int(c, 36)) for c in rearranged)):
        raise ValueError(f"{value} has wrong check digits (ISO 7064 mod 97-10)")
    return value


def logo(value: str) -> str:
    if "/" in value or "\\" in value or value.startswith(".") or not value.lower().endswith(LOGO_SUFFIXES):
        raise ValueError("must be a file name in the instance folder's logos/ directory, ending in "
                         + ", ".join(LOGO_SUFFIXES))
    return value
