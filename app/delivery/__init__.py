"""Delivery: how an organisation receives its dossiers — the pull API (`/api/v1/`), signed webhooks through a
durable outbox, and the FHIR R4 and HL7 v2.5 renderings of a dossier (pure functions of its content).

It may use model, dossiers and organisations; never connectors, journeys or the sandbox (pyproject contracts).
"""
