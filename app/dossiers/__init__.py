"""Dossiers: encrypted storage of submitted forms, idempotent submission, audit trail, retention and CLI.

Modules: `models` (tables), `crypto` (Fernet content encryption), `store` (submit/get/deliver/purge/rekey),
`audit` (pseudonymous events), `database` (engines and Alembic migrations), `room` (opens all of it on one
engine), `cli` (commands).
"""
