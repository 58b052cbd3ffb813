"""Data-provider connectors (API Particulier C2S, CNAM API droits), their body helpers (`payload`) and the
concurrent retrieval entry point (`retrieval`).

Connectors stay thin: build the request, call through `app.outbound` (deadline, retries, breaker, caps), map the
status to the provider's exception family, parse the body into `app.model.rights`. No business rule, no Flask, no
database.
"""
