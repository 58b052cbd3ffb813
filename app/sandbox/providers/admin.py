"""`/_sandbox/faults`: per-request fault rules over HTTP, for manual testing and scripted browsers.

    POST   /_sandbox/faults  {"provider": "cnam", "scenario": "504", "path": "/contrats", "times": 1}  -> 201
    GET    /_sandbox/faults  -> the rules in force and the scenarios of each provider
    DELETE /_sandbox/faults[?provider=c2s]  -> 204, rules removed

Only the sandbox app has this route. A JSON body is required: a cross-site HTML form cannot send one without a
CORS preflight, which the sandbox never grants, so no other site can plant faults in a tester's sandbox.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from app.sandbox.providers import PROVIDER_LABELS, calls, faults

bp = Blueprint("sandbox_admin", __name__, url_prefix="/_sandbox")


@bp.get("/faults")
def list_faults():
    return jsonify({
        "rules": calls.state().provider_faults.rules(),
        "scenarios": {provider: [s.name for s in faults.scenarios_for(provider)] for provider in PROVIDER_LABELS},
    })


@bp.post("/faults")
def add_fault():
    if not request.is_json:
        return jsonify(error="unsupported_media_type", message="Content-Type must be application/json"), 415
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) - {"provider", "scenario", "path", "times"}:
        return jsonify(error="bad_request", message="expected an object with provider, scenario, path, times"), 400
    try:
        rule = calls.state().set_fault(
            body.get("provider"), body.get("scenario"), path=body.get("path"), times=body.get("times")
        )
    except ValueError as exc:
        return jsonify(error="bad_request", message=str(exc)), 400
    return jsonify(provider=rule.provider, scenario=rule.scenario, path=rule.path, times=rule.times), 201


@bp.delete("/faults")
def clear_faults():
    provider = request.args.get("provider")
    if provider is not None and provider not in PROVIDER_LABELS:
        return jsonify(error="bad_request", message=f"unknown provider {provider!r}"), 400
    calls.state().clear_faults(provider)
    return Response(status=204)
