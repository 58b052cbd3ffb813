"""Attachments in the dossiers room: encryption at rest, caps, removal, binding at submission, purge, rekey."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from app.dossiers.attachments import AttachmentLimits, AttachmentStore
from app.dossiers.crypto import DossierCipher
from app.dossiers.errors import AttachmentNotFound, AttachmentRefused, AttachmentsChanged
from app.dossiers.models import Attachment as AttachmentRow
from app.dossiers.models import Dossier
from app.dossiers.store import DossierStore

FILE = b"%PDF-1.7\nattestation de droits de DUBOIS Angela NIR 2620875116008\n%%EOF\n"
NAME = "attestation DUBOIS <script>.pdf"


@pytest.fixture
def attachments(engine, keys, clock) -> AttachmentStore:
    return AttachmentStore(engine, DossierCipher(keys), clock=clock,
                           limits=AttachmentLimits(max_file_bytes=1000, max_count=3, max_total_bytes=2000,
                                                   draft_hours=24))


@pytest.fixture
def store(engine, keys, audit, clock, attachments) -> DossierStore:
    return DossierStore(engine, DossierCipher(keys), audit=audit, clock=clock, attachments=attachments)


def add(attachments, draft="draft-key-0001", data=FILE, kind="rights_attestation", **overrides):
    arguments = {"draft_key": draft, "organisation": "chu-demo", "journey": "preadmission", "kind": kind,
                 "media_type": "application/pdf", "name": NAME, "data": data}
    return attachments.add(**{**arguments, **overrides})


def submit(store, ids, key="draft-key-0001"):
    return store.submit(idempotency_key=key, organisation="chu-demo", journey="preadmission",
                        content={"attachments": list(ids)}, retention_days=90, attachments=ids)


def rows(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(AttachmentRow))


def test_a_file_is_encrypted_at_rest(attachments, engine):
    stored = add(attachments)
    with engine.connect() as connection:
        raw = connection.execute(select(AttachmentRow.__table__)).one()._asdict()
    everything = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in raw.values())
    for clear in (FILE, b"DUBOIS", b"2620875116008", b"<script>", b"%PDF", stored.sha256.encode()):
        assert clear not in everything
    assert raw["content"].startswith(b"gAAAAA") and raw["meta"].startswith(b"gAAAAA")
    assert (raw["kind"], raw["media_type"], raw["size"]) == ("rights_attestation", "application/pdf", len(FILE))


def test_the_draft_lists_its_files_without_their_bytes_in_a_repr(attachments):
    first = add(attachments)
    second = add(attachments, kind="identity_document")
    add(attachments, draft="another-draft-key")
    listed = attachments.for_draft("draft-key-0001")
    assert {a.id for a in listed} == {first.id, second.id}  # the clock stands still: no order to check
    assert listed[0].name == NAME and "DUBOIS" not in repr(listed[0])


@pytest.mark.parametrize(("sizes", "reason"), [
    ((1001,), "file_too_large"),
    ((900, 900, 201), "total_too_large"),
    ((10, 10, 10, 10), "too_many_files"),
])
def test_caps_refuse_and_store_nothing(attachments, engine, sizes, reason):
    *accepted, refused = sizes
    for size in accepted:
        add(attachments, data=b"x" * size)
    with pytest.raises(AttachmentRefused) as caught:
        add(attachments, data=b"x" * refused)
    assert caught.value.reason == reason
    assert rows(engine) == len(accepted)


def test_caps_count_only_this_draft(attachments):
    for _ in range(3):
        add(attachments, draft="another-draft-key", data=b"x" * 600)
    add(attachments, data=b"x" * 900)  # the other draft's three files and 1800 bytes do not count


def test_remove_only_from_its_own_draft(attachments, engine):
    mine = add(attachments)
    theirs = add(attachments, draft="another-draft-key")
    assert attachments.remove("draft-key-0001", theirs.id) is False  # another draft's id: hostile
    assert attachments.remove("draft-key-0001", "att_" + "0" * 32) is False
    assert attachments.remove("draft-key-0001", "../../etc/passwd") is False
    assert attachments.remove("draft-key-0001", mine.id) is True
    assert attachments.for_draft("draft-key-0001") == [] and rows(engine) == 1


def test_submission_binds_the_listed_files_in_its_transaction(store, attachments):
    kept, left = add(attachments), add(attachments, kind="identity_document")
    submitted = submit(store, [kept.id])
    bound = attachments.for_dossier(submitted.reference)
    assert [a.id for a in bound] == [kept.id]
    assert attachments.read(submitted.reference, kept.id).data == FILE
    assert [a.id for a in attachments.for_draft("draft-key-0001")] == [left.id]  # not listed: left to the purge
    assert attachments.remove("draft-key-0001", kept.id) is False  # sent files can no longer be removed


def test_a_file_removed_meanwhile_stores_no_dossier(store, attachments, engine):
    gone = add(attachments)
    attachments.remove("draft-key-0001", gone.id)
    with pytest.raises(AttachmentsChanged):
        submit(store, [gone.id])
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Dossier)) == 0


def test_another_drafts_file_cannot_be_bound(store, attachments):
    theirs = add(attachments, draft="another-draft-key")
    with pytest.raises(AttachmentsChanged):
        submit(store, [theirs.id])


def test_read_is_scoped_to_the_dossier(store, attachments):
    first = add(attachments)
    one = submit(store, [first.id])
    other = add(attachments, draft="draft-key-0002")
    two = submit(store, [other.id], key="draft-key-0002")
    with pytest.raises(AttachmentNotFound):
        attachments.read(one.reference, other.id)
    assert attachments.read(two.reference, other.id).attachment.kind == "rights_attestation"


def test_purge_takes_the_dossiers_files_and_the_abandoned_drafts(store, attachments, engine, clock):
    sent = add(attachments)
    submit(store, [sent.id])
    add(attachments, draft="abandoned-draft")
    clock.advance(hours=23)
    add(attachments, draft="recent-draft")
    clock.advance(hours=2)
    report = store.purge()
    assert (report.dossiers, report.attachments) == (0, 1)  # the abandoned draft's file, 25 hours old
    assert len(attachments.for_draft("recent-draft")) == 1
    clock.advance(days=91)
    report = store.purge()
    assert (report.dossiers, report.attachments) == (1, 2)  # the dossier's file and the recent draft's
    assert rows(engine) == 0


def test_rekey_reencrypts_the_files(engine, audit, clock, caplog):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = AttachmentStore(engine, DossierCipher([old]), clock=clock)
    stored = add(before)
    rotated = DossierStore(engine, DossierCipher([new, old]), audit=audit, clock=clock,
                           attachments=AttachmentStore(engine, DossierCipher([new, old]), clock=clock))
    with caplog.at_level(logging.INFO):
        rotated.rekey()
    only_new = AttachmentStore(engine, DossierCipher([new]), clock=clock)
    assert only_new.for_draft("draft-key-0001")[0].sha256 == stored.sha256
    assert "DUBOIS" not in caplog.text and NAME not in caplog.text


def test_logs_never_carry_the_name_or_the_bytes(attachments, caplog):
    with caplog.at_level(logging.DEBUG):
        stored = add(attachments)
        attachments.remove("draft-key-0001", stored.id)
    assert "DUBOIS" not in caplog.text and "attestation " not in caplog.text and stored.id in caplog.text


def test_the_name_loses_folders_and_control_characters(attachments):
    stored = add(attachments, name="C:\\Users\\x\\..\\scan\u202e\x00fdp.jpg" + "a" * 300)
    assert stored.name.startswith("scanfdp.jpg") and len(stored.name) == 120
    assert add(attachments, name="\x00\x01").name == "fichier"


def test_the_submission_time_sets_the_files_purge(store, attachments, engine, clock):
    stored = add(attachments)
    submit(store, [stored.id])
    with engine.connect() as connection:
        purge_after = connection.scalar(select(AttachmentRow.purge_after))
    assert abs(purge_after.replace(tzinfo=dt.UTC) - (clock() + dt.timedelta(days=90))) < dt.timedelta(seconds=1)
