"""Alembic environment of the dossiers room (a package so that it ships with `app`)."""
