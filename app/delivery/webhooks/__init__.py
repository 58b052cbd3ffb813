"""Webhooks through a durable outbox: the organisations are told *that* a dossier was submitted or a journey
cancelled, never what it holds.

The dossiers room writes each event to `webhook_outbox` in the transaction of what it tells; this package sends
the due rows, signed as Standard Webhooks describes (`signing`), through the one outbound HTTP layer (`sender`),
from huey tasks (`jobs`) run by a worker process (`flask delivery webhooks worker`), with exponential backoff
and jitter, and a dead state after `WEBHOOK_MAX_ATTEMPTS` that `flask delivery webhooks replay` undoes (`cli`).
`room.init_app` wires it all from the factory. See docs/webhooks.md.
"""
