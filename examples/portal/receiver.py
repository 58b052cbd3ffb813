"""The other half of a hospital's integration: receive Droits Connect's webhook, pull the dossier, acknowledge it.

Only requests and standardwebhooks (the official verifier of the Standard Webhooks specification). Run it beside
`make run` once the registry gives the demo hospital a webhook and an API key (README, "Receiving dossiers"):

    PORTAL_API_KEY=dc_live_… PORTAL_WEBHOOK_SECRET=whsec_… .venv/bin/python examples/portal/receiver.py
"""

import json
import os
from wsgiref.simple_server import make_server

import requests
from standardwebhooks import Webhook, WebhookVerificationError

SERVICE_URL = os.environ.get("DROITS_CONNECT_URL", "http://localhost:5000")
API_KEY = os.environ.get("PORTAL_API_KEY", "")
WEBHOOK_SECRET = os.environ.get("PORTAL_WEBHOOK_SECRET", "")
RECEIVER_URL = os.environ.get("RECEIVER_URL", "http://127.0.0.1:8766")
FORMATS = {"json": "application/json", "fhir": "application/fhir+json", "hl7": "application/hl7-v2"}
received: dict[str, dict] = {}  # webhook-id -> what was fetched: a real system stores this in its database


def pull(reference: str) -> dict:
    """The dossier in every format the admission system may want, then the acknowledgement that ends our copy."""
    dossier = {}
    for name, media_type in FORMATS.items():
        response = requests.get(f"{SERVICE_URL}/api/v1/dossiers/{reference}", timeout=10,
                                headers={"Authorization": f"Bearer {API_KEY}", "Accept": media_type})
        response.raise_for_status()
        dossier[name] = response.json() if name != "hl7" else response.text
    ack = requests.post(f"{SERVICE_URL}/api/v1/dossiers/{reference}/ack", timeout=10,
                        headers={"Authorization": f"Bearer {API_KEY}"})
    ack.raise_for_status()
    dossier["ack"] = ack.json()
    return dossier


def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items()
               if name.startswith("HTTP_")}
    try:
        event = Webhook(WEBHOOK_SECRET).verify(body, headers)  # signature, and a timestamp within 5 minutes
    except WebhookVerificationError:
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"bad signature"]
    webhook_id = headers["webhook-id"]
    if webhook_id not in received and event["type"] == "dossier.submitted":  # at least once: de-duplicate
        received[webhook_id] = {"event": event, **pull(event["data"]["dossier_reference"])}
    start_response("204 No Content", [])
    return [b""]


if __name__ == "__main__":
    host, port = RECEIVER_URL.split("//")[1].split(":")
    print(f"Webhook receiver: {RECEIVER_URL}/ (register it as the demo hospital's webhook url)")
    try:
        make_server(host, int(port), app).serve_forever()
    finally:
        print(json.dumps({key: value["ack"] for key, value in received.items()}, indent=2))
