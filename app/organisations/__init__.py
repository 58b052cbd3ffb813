"""Organisations: the hospitals and mutuelles a person may send a dossier to.

`registry` reads and checks the TOML registry (`checks`, one function per value), `settings` finds it (or the
sandbox's `demo.toml`), `cli` adds `flask organisations …`. Signed launch links and signed returns will live here.
"""
