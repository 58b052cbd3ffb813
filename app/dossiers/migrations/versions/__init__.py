"""Revisions of the dossiers schema, oldest first: 0001 creates the dossiers and audit_events tables."""
