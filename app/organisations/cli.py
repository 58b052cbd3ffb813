"""The registry's commands: `flask organisations list | check | new-secret | new-api-key | revoke-api-key`.

The editing commands change the instance's registry file (ORGANISATIONS_FILE) with tomlkit, so its comments and
layout survive; they check the edited registry in full before writing it (0600, atomically), and never edit the
sandbox's packaged demo registry. A new secret or key is printed once and stored nowhere else; the service reads
the file at start-up, so it takes effect at the next restart.
"""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path

import click
import tomlkit
from flask import Flask
from flask.cli import AppGroup

from app.config_values import ConfigError, write_private_file
from app.model.organisation import API_KEY_HASH_PREFIX, Organisation, api_key_hash
from app.organisations import settings as organisations_settings
from app.organisations.registry import parse_registry

API_KEY_PREFIX = "dc_live_"
MIN_REVOKE_PREFIX = 6  # hexadecimal digits: enough to tell keys apart, short enough to type


def register(app: Flask, organisations: Mapping[str, Organisation], *, production: bool) -> None:
    """Add `flask organisations …`, working on the registry the app was started with."""
    path = organisations_settings.registry_path(app.config, app.instance_path)
    registry = _Registry(path, production=production, instance_path=app.instance_path)
    app.cli.add_command(_commands(registry, organisations))


class _Registry:
    """The registry file: checked reads, and edits that keep its comments and are checked before being written."""

    def __init__(self, path: Path | None, *, production: bool, instance_path: str) -> None:
        self.path, self.production, self.instance_path = path, production, instance_path

    def check(self, path: Path) -> dict[str, Organisation]:
        if not path.exists():
            raise ConfigError(f"{path} does not exist")
        return organisations_settings.load_registry_file(path, production=self.production,
                                                         instance_path=self.instance_path)

    def edit(self, slug: str, change: Callable[[MutableMapping], str]) -> str:
        """Apply `change` to the organisation's table, check the whole registry, write it; `change`'s message."""
        path = self._editable()
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
        table = document.get("organisations", {}).get(slug)
        if not isinstance(table, Mapping):
            raise click.ClickException(f"no organisation {slug!r} in {path}")
        message = change(table)
        text = tomlkit.dumps(document)
        logos = Path(self.instance_path) / organisations_settings.LOGOS_DIR
        try:
            parse_registry(tomllib.loads(text), origin=path.name, production=self.production, logos_dir=logos)
        except ConfigError as exc:
            raise click.ClickException(f"{path} left unchanged: {exc}") from None
        write_private_file(path, text)
        return message

    def _editable(self) -> Path:
        if self.path is None or organisations_settings.is_demo(self.path):
            raise click.ClickException("the sandbox's demo registry is never edited: set ORGANISATIONS_FILE to "
                                       "the instance's registry")
        if not self.path.is_file():
            raise click.ClickException(f"no registry at {self.path}: start from instance/organisations.example.toml")
        return self.path


def _commands(registry: _Registry, organisations: Mapping[str, Organisation]) -> AppGroup:
    group = AppGroup("organisations", help="The registry of organisations: secrets, API keys, checks.")

    @group.command("list")
    def list_() -> None:
        """List the organisations the service runs with (never a secret)."""
        if not organisations:
            click.echo(f"No organisation registered (registry: {registry.path}).")
        for organisation in organisations.values():
            click.echo("\n".join(_describe(organisation)))

    @group.command("check")
    @click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path),
                  help="The registry to check (default: ORGANISATIONS_FILE).")
    def check(file: Path | None) -> None:
        """Check a registry file as the service would at start-up."""
        path = file or registry.path
        if path is None:
            raise click.ClickException("ORGANISATIONS_FILE is relative and there is no instance folder")
        try:
            checked = registry.check(path)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"OK: {len(checked)} organisation(s)")

    @group.command("new-secret")
    @click.argument("slug")
    def new_secret(slug: str) -> None:
        """Generate a launch secret and put it first: it signs from now on, the others still verify."""
        secret = secrets.token_urlsafe(32)
        click.echo(registry.edit(slug, lambda table: _put_first(table, "launch_secrets", secret)))
        click.echo(f"New launch secret for {slug} (shown once, give it to the organisation now):\n{secret}")
        click.echo("Rotation: the older secrets still verify launch links. Once the organisation signs with this "
                   "one, delete them from launch_secrets. Restart the service to use the change.")

    @group.command("new-api-key")
    @click.argument("slug")
    def new_api_key(slug: str) -> None:
        """Generate an API key; only its SHA-256 hash is stored."""
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        digest = api_key_hash(key)
        registry.edit(slug, lambda table: _append(table, "api_key_hashes", digest))
        click.echo(f"New API key for {slug} (shown once, it cannot be recovered):\n{key}")
        click.echo(f"Stored as {digest}; revoke it with: flask organisations revoke-api-key {slug} "
                   f"{digest[:len(API_KEY_HASH_PREFIX) + 12]}. Restart the service to use the change.")

    @group.command("revoke-api-key")
    @click.argument("slug")
    @click.argument("hash_prefix")
    def revoke_api_key(slug: str, hash_prefix: str) -> None:
        """Remove the API key whose stored hash starts with HASH_PREFIX."""
        removed = registry.edit(slug, lambda table: _remove_hash(table, hash_prefix))
        click.echo(f"Revoked {removed} for {slug}. Restart the service to refuse it.")

    return group


def _describe(organisation: Organisation) -> list[str]:
    webhook = organisation.webhook.url if organisation.webhook else "none"
    return [
        f"{organisation.id}  {organisation.kind}  {organisation.name}",
        f"  sources: {', '.join(organisation.sources) or 'none'}; {len(organisation.launch_secrets)} launch "
        f"secret(s); {len(organisation.api_key_hashes)} API key(s); webhook: {webhook}",
        f"  return URLs: {', '.join(organisation.return_urls) or 'none'}",
    ]


def _put_first(table: MutableMapping, key: str, value: str) -> str:
    if key in table:
        table[key].insert(0, value)
    else:
        table[key] = [value]
    return f"{key}: the new value is first, of {len(table[key])}."


def _append(table: MutableMapping, key: str, value: str) -> str:
    if key in table:
        table[key].append(value)
    else:
        table[key] = [value]
    return f"{key}: {len(table[key])} value(s)."


def _remove_hash(table: MutableMapping, prefix: str) -> str:
    wanted = prefix if prefix.startswith(API_KEY_HASH_PREFIX) else API_KEY_HASH_PREFIX + prefix
    if len(wanted) - len(API_KEY_HASH_PREFIX) < MIN_REVOKE_PREFIX:
        raise click.ClickException(f"give at least {MIN_REVOKE_PREFIX} hexadecimal digits of the hash")
    hashes = table.get("api_key_hashes", [])
    matches = [number for number, stored in enumerate(hashes) if str(stored).startswith(wanted)]
    if not matches:
        raise click.ClickException(f"no API key hash starts with {wanted}")
    if len(matches) > 1:
        raise click.ClickException(f"{wanted} matches {len(matches)} API key hashes: give more digits")
    removed = str(hashes[matches[0]])
    del hashes[matches[0]]
    return removed
