"""NIR format check before a NIR goes into the CNAM `nir` header."""

from __future__ import annotations

import pytest

from app.connectors.nir import InvalidNir, is_valid_nir, validate_nir
from tests.connectors.payloads import NIR_CHILD, NIR_CORSICA_2A, NIR_CORSICA_2B, NIR_INSURED


@pytest.mark.parametrize("value", [NIR_INSURED, NIR_CHILD, NIR_CORSICA_2A, NIR_CORSICA_2B])
def test_valid_nirs_are_returned_unchanged(value):
    assert validate_nir(value) == value
    assert is_valid_nir(value)


@pytest.mark.parametrize(
    "value",
    [
        NIR_INSURED[:-2] + "98",  # wrong key
        NIR_CORSICA_2A[:-2] + NIR_CORSICA_2B[-2:],  # 2B's key on a 2A number: 2A counts as 19, 2B as 18
        NIR_CORSICA_2A.replace("2A", "2a"),  # lower case
        NIR_CORSICA_2A.replace("2A", "2C"),
        NIR_INSURED[:-1],  # 14 characters
        NIR_INSURED + "0",  # 16 characters
        "",
        "2 85 03 75 112 001 97",  # spaces: stdnum would strip them, a header value must not have them
        "2.85.03.75.112.001.97",
        NIR_INSURED + "\n",  # `$` would match before a final newline; fullmatch does not
        NIR_INSURED + "\r\nX-Injected: 1",
        "\r\n" + NIR_INSURED,
        NIR_INSURED[:5] + "\x00" + NIR_INSURED[6:],
        "２８５０３７５１１２００１９７",  # full-width digits: `\d` would accept them
        None,
        285037511200197,
    ],
)
def test_invalid_nirs_are_refused_without_echoing_the_value(value):
    assert not is_valid_nir(value)
    with pytest.raises(InvalidNir) as exc:
        validate_nir(value)
    assert NIR_INSURED[:7] not in str(exc.value)
    assert isinstance(exc.value, ValueError)
