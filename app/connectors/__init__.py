"""Data-provider connectors (API Particulier C2S, CNAM API droits) and the shared outbound HTTP layer.

Connectors stay thin: build the request, call through `http.OutboundHttp`, map the status to the
provider's exception family, parse the body into `app.model.rights`. No business rule, no Flask, no database.
"""
