"""The organisation's branding on its journey's pages: display name, logo and accent colour, from the registry."""

from __future__ import annotations

from tests.portal import demo_registry

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082")


def test_the_journey_shows_the_registry_branding(make_app, tmp_path):
    instance = tmp_path / "instance"
    (instance / "logos").mkdir(parents=True)
    (instance / "logos" / "chu.png").write_bytes(PNG)
    overrides = demo_registry(tmp_path / "registry")
    registry = tmp_path / "registry" / "organisations.toml"
    registry.write_text(registry.read_text().replace('[organisations.chu-demo.branding]',
                                                     '[organisations.chu-demo.branding]\nlogo = "chu.png"'))
    client = make_app(**overrides).test_client()
    html = client.get("/preadmission/chu-demo/").get_data(as_text=True)
    assert 'class="organisation-banner__name">CHU de Démonstration<' in html
    assert 'href="/organisations/chu-demo/theme.css"' in html and 'src="/organisations/chu-demo/logo"' in html
    theme = client.get("/organisations/chu-demo/theme.css")
    assert theme.mimetype == "text/css" and "--organisation-accent: #000091" in theme.get_data(as_text=True)
    logo = client.get("/organisations/chu-demo/logo")
    try:
        assert logo.status_code == 200 and logo.data == PNG and logo.mimetype == "image/png"
    finally:
        logo.close()  # a file response: the test client leaves closing it to the caller


def test_no_logo_and_unknown_organisations_are_404(make_app, tmp_path):
    client = make_app(**demo_registry(tmp_path)).test_client()
    assert client.get("/organisations/mutuelle-demo/logo").status_code == 404
    assert client.get("/organisations/nowhere/theme.css").status_code == 404
    assert client.get("/organisations/..%2Fsecret_key/logo").status_code == 404
