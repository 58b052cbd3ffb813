"""Encryption keys: rotation with MultiFernet, rekey, and a typed error for a wrong key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from app.dossiers.crypto import DossierCipher, canonical_json
from app.dossiers.errors import DossierDecryptionError
from app.dossiers.models import Dossier
from app.dossiers.store import DossierStore

CONTENT = {"nir": "2620875116008", "family_name": "DUBOIS", "c2s": True}


def make_store(engine, audit, clock, *keys) -> DossierStore:
    return DossierStore(engine, DossierCipher(list(keys)), audit=audit, clock=clock)


def submit(store, key: str) -> str:
    return store.submit(idempotency_key=key, organisation="mutuelle-a", journey="adhesion", content=CONTENT,
                        retention_days=30).reference


def raw_token(engine, reference: str) -> bytes:
    with engine.connect() as connection:
        return bytes(connection.scalar(select(Dossier.content).where(Dossier.reference == reference)))


def test_canonical_json_is_stable():
    assert canonical_json({"b": 1, "a": "é"}) == canonical_json({"a": "é", "b": 1}) == '{"a":"é","b":1}'.encode()


def test_rotation_then_rekey(engine, audit, clock):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    reference = submit(make_store(engine, audit, clock, key_a), "form-rotate-1")

    rotated = make_store(engine, audit, clock, key_b, key_a)  # new key first, old one still decrypts
    assert rotated.get(reference).content == CONTENT
    newer = submit(rotated, "form-rotate-2")
    Fernet(key_b).decrypt(raw_token(engine, newer))
    with pytest.raises(InvalidToken):
        Fernet(key_b).decrypt(raw_token(engine, reference))

    assert rotated.rekey() == 2
    only_b = make_store(engine, audit, clock, key_b)
    assert only_b.get(reference).content == CONTENT and only_b.get(newer).content == CONTENT
    with pytest.raises(DossierDecryptionError):
        make_store(engine, audit, clock, key_a).get(reference)


def test_new_writes_use_the_first_key(engine, audit, clock):
    key_a, key_b = Fernet.generate_key(), Fernet.generate_key()
    reference = submit(make_store(engine, audit, clock, key_b, key_a), "form-first-key")
    Fernet(key_b).decrypt(raw_token(engine, reference))
    with pytest.raises(InvalidToken):
        Fernet(key_a).decrypt(raw_token(engine, reference))


def test_wrong_key_is_a_typed_error_without_the_ciphertext(engine, audit, clock):
    reference = submit(make_store(engine, audit, clock, Fernet.generate_key()), "form-wrong-key")
    token = raw_token(engine, reference)
    with pytest.raises(DossierDecryptionError) as caught:
        make_store(engine, audit, clock, Fernet.generate_key()).get(reference)
    assert token.decode() not in str(caught.value) and caught.value.__cause__ is None


def test_rekey_stops_at_a_dossier_no_key_opens(engine, audit, clock):
    key_a, key_b = Fernet.generate_key(), Fernet.generate_key()
    reference = submit(make_store(engine, audit, clock, key_a), "form-lost-key")
    with pytest.raises(DossierDecryptionError, match=reference):
        make_store(engine, audit, clock, key_b).rekey()
    assert make_store(engine, audit, clock, key_a).get(reference).content == CONTENT


def test_cipher_repr_shows_no_key():
    key = Fernet.generate_key()
    assert key.decode() not in repr(DossierCipher([key]))
