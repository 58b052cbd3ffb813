"""Two requests of one session at once, over loopback HTTP: the submission and a page read in parallel.

Flask-Session writes the whole session back when a request ends: without the per-session lock
(app/session_lock.py), a slower page read that started before the submission writes back the identity, the rights
and the draft it read, and loses the receipt. The page read is slowed down after its view on purpose, so the race
is not luck.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from flask import request as http_request

from tests.integration.test_journeys import CHU, fill, start
from tests.journeys.support import REFERENCE, csrf_token, dossier_count

TRIALS = 6


@pytest.mark.parametrize("store", ["files", "redis"])
def test_a_submission_racing_a_page_of_the_same_session_gives_one_dossier_and_keeps_its_receipt(make_stack, request,
                                                                                               store):
    stack = make_stack(**({"REDIS_URL": request.getfixturevalue("redis_url")} if store == "redis" else {}))

    @stack.service.after_request
    def _slow_review(response):  # the racing request has read the session and drawn its page; it saves it late
        if http_request.method == "GET" and http_request.path.endswith("/verification"):
            time.sleep(0.3)
        return response

    for trial in range(TRIALS):
        browser, _ = start(stack, f"{CHU}/", "test")
        browser.submit("Continuer", extra={"patient": "self"})
        fill(browser)
        review_url = browser.page.url
        token = csrf_token(browser.page.text)
        answers: dict[str, requests.Response] = {}

        def run(name: str, method: str, url: str, **kwargs) -> None:
            clone = requests.Session()
            clone.cookies.update(browser.http.cookies)
            answers[name] = clone.request(method, url, allow_redirects=False, timeout=30, **kwargs)

        reader = threading.Thread(target=run, args=("read", "GET", review_url))
        sender = threading.Thread(target=run, args=("send", "POST", review_url.replace("/verification", "/envoi")),
                                  kwargs={"data": {"csrf_token": token}})
        first, second = (reader, sender) if trial % 2 == 0 else (sender, reader)
        first.start()
        time.sleep(0.05)
        second.start()
        first.join()
        second.join()

        assert answers["send"].status_code == 303
        assert urlsplit(answers["send"].headers["Location"]).path == f"{CHU}/recepisse"
        assert dossier_count(stack.service) == trial + 1
        # After both: the session holds the receipt, not the journey.
        receipt = browser.http.get(stack.service_url + f"{CHU}/recepisse", allow_redirects=False, timeout=15)
        assert receipt.status_code == 200, (trial, receipt.headers.get("Location"))
        reference = REFERENCE.search(receipt.text).group(1)
        again = browser.http.get(review_url, allow_redirects=False, timeout=15)
        assert again.status_code == 303 and not again.headers["Location"].endswith("/formulaire")
        replay = browser.http.post(review_url.replace("/verification", "/envoi"), data={"csrf_token": token},
                                   allow_redirects=False, timeout=15)
        assert replay.status_code == 303 and reference in replay.headers["Location"]
        assert dossier_count(stack.service) == trial + 1
