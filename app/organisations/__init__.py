"""Organisations: the hospitals and mutuelles a person may send a dossier to.

Today only their settings (`settings`); the registry, signed launch links and signed results will live here.
"""
