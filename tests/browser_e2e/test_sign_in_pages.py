"""The sign-in pages in Chromium: axe scans, reflow, keyboard-only sign-in, screenshots."""

from __future__ import annotations

import re

import pytest

from tests.browser_e2e.conftest import audit

pytestmark = pytest.mark.browser


def choose_identity(page, stack, login: str) -> None:
    page.get_by_role("button", name=re.compile(re.escape(login))).click()
    page.get_by_role("button", name=re.compile("^Continuer")).click()
    page.wait_for_url(stack.service_url + "/**")


def test_sign_in_journey_pages_are_accessible(page, stack):
    page.goto(stack.service_url + "/")
    audit(page, "accueil")
    page.get_by_role("button", name=re.compile("S’identifier avec")).click()
    page.wait_for_url(stack.sandbox_url + "/**")
    page.shots.take("franceconnect-bac-a-sable")
    choose_identity(page, stack, "avec_nom_dusage")
    assert page.url == stack.service_url + "/mon-espace"
    assert page.get_by_role("heading", name="Vos informations").is_visible()
    audit(page, "mon-espace")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(stack.service_url + "/auth/logout/callback**")
    audit(page, "deconnecte")


@pytest.mark.parametrize("motif", ["annule", "indisponible", "configuration", "expire", "echec"])
def test_error_pages_are_accessible(page, stack, motif):
    page.goto(f"{stack.service_url}/auth/erreur?motif={motif}&ref=0123456789abcdef")
    audit(page, f"erreur-{motif}")


@pytest.mark.parametrize("path", ["/accessibilite", "/donnees-personnelles", "/page-inexistante"])
def test_other_pages_are_accessible(page, stack, path):
    page.goto(stack.service_url + path)
    audit(page, path.strip("/"))


def test_cancel_at_franceconnect_in_the_browser(page, stack):
    page.goto(stack.service_url + "/")
    page.get_by_role("button", name=re.compile("S’identifier avec")).click()
    page.get_by_role("button", name=re.compile("Revenir sur le site")).click()
    page.wait_for_url(stack.service_url + "/auth/erreur**")
    assert page.get_by_role("alert").is_visible()
    audit(page, "annulation")


def focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {text: (el.innerText || el.value || "").trim(), tag: el.tagName,
                outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
                shadow: style.boxShadow !== "none"};
    }""")


def tab_to(page, pattern: str, limit: int = 60) -> dict:
    """Press Tab until the focused element's text matches; every focus stop must be visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if state["tag"] != "BODY":
            assert state["outline"] or state["shadow"], f"no visible focus on {state}"
        if re.search(pattern, state["text"]):
            return state
    raise AssertionError(f"{pattern!r} not reached with Tab")


def press_and_wait(page, key: str) -> None:
    """Press a key that submits a form, and wait for the next page to be there."""
    with page.expect_navigation():
        page.keyboard.press(key)


def test_keyboard_only_sign_in_with_visible_focus(page, stack):
    page.goto(stack.service_url + "/")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Aller au contenu"  # the skip link comes first
    tab_to(page, "S’identifier avec")
    press_and_wait(page, "Enter")
    assert page.url.startswith(stack.sandbox_url)
    tab_to(page, "DUBOIS")
    press_and_wait(page, "Enter")
    tab_to(page, "^Continuer")
    press_and_wait(page, "Space")
    page.wait_for_url(stack.service_url + "/mon-espace")
    tab_to(page, "Se déconnecter")
    press_and_wait(page, "Enter")
    page.wait_for_url(stack.service_url + "/auth/logout/callback**")
    assert "Vous êtes déconnecté" in page.content()
