"""Outlook .msg: the five real messages of ../shared/corpus/formats (Apache POI's test
files) read directly and through the pipeline, and malformed messages failing clearly."""

from __future__ import annotations

from pathlib import Path

import extraction_fixtures as fx
import pytest

from diarium.config import Settings
from diarium.errors import ExtractionFailed
from diarium.extractors.base import MSG, sniff
from diarium.extractors.registry import choose, extract_file
from diarium.pipeline.extracting import ExtractConfig, extract
from diarium.store import Store

FORMATS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "formats"
MESSAGES = ("58214_with_attachment.msg", "attachment_msg_pdf.msg", "attachment_test_msg.msg",
            "bug66335.msg", "chinese-traditional.msg")

pytestmark = pytest.mark.skipif(not FORMATS.is_dir(), reason="the shared corpus is not here")


def test_sniffed_as_outlook_not_word() -> None:
    for name in MESSAGES:
        assert sniff(FORMATS / name) == MSG
        assert choose(FORMATS / name)[0].name == "msg"


def test_headers_body_and_attachments() -> None:
    result = extract_file(FORMATS / "attachment_test_msg.msg")
    assert result.media_type == MSG
    assert result.metadata["subject"] == "test pièce jointe 1"
    assert result.metadata["from"] == "Nicolas1 23456 <nicolas1.23456@free.fr>"
    assert result.metadata["date"] == "2009-04-22T14:36:33+00:00"
    assert result.text.startswith("Från: Nicolas1 23456")
    assert "Ämne: test pièce jointe 1" in result.text
    names = [a.name for a in result.attachments]
    assert names == ["test-unicode.doc", "pj1.txt"]
    assert "école" in result.attachments[1].data.decode("utf-8")


def test_big5_message_decodes() -> None:
    """8-bit strings in the message's code page (950): where some readers fail."""
    result = extract_file(FORMATS / "chinese-traditional.msg")
    assert result.metadata["encoding"] == "cp950"
    assert "格式測試" in result.metadata["subject"]
    assert "中文測試" in result.text
    assert "\ufffd" not in result.text


def test_embedded_message_becomes_an_eml_attachment() -> None:
    result = extract_file(FORMATS / "attachment_msg_pdf.msg")
    by_name = {a.name: a for a in result.attachments}
    assert set(by_name) == {"Test Attachment.eml", "smbprn.00009008.KdcPjl.pdf"}
    assert by_name["smbprn.00009008.KdcPjl.pdf"].data.startswith(b"%PDF-")
    inner = by_name["Test Attachment.eml"]
    assert inner.media_type == "message/rfc822"
    assert b"Subject:" in inner.data


@pytest.mark.parametrize("label", ["truncated", "ole junk", "not ole"])
def test_malformed_message_fails_with_a_reason(tmp_path: Path, label: str) -> None:
    source = (FORMATS / "attachment_test_msg.msg").read_bytes()
    path = tmp_path / "trasig.msg"
    if label == "truncated":
        path.write_bytes(source[:3000])
    elif label == "ole junk":
        path.write_bytes(source[:512] + b"\xff" * 4096)
    else:
        path.write_bytes(b"\x00\x01 inte ett Outlook-meddelande \x00" * 50)
    try:
        result = extract_file(path)
    except ExtractionFailed as exc:
        assert exc.kind == "corrupt"
        assert str(exc)
    except Exception as exc:  # an unsupported format is also a clear answer
        assert "unsupported format" in str(exc)
    else:  # pragma: no cover - a reader that reads a broken file must still make sense
        pytest.fail(f"a broken message was read: {result.metadata}")


def test_pipeline_extracts_messages_and_follows_attachments(tmp_path: Path,
                                                            settings: Settings) -> None:
    paths = [FORMATS / name for name in MESSAGES]
    broken = tmp_path / "trasig.msg"
    broken.write_bytes((FORMATS / "bug66335.msg").read_bytes()[:5000])
    with Store(settings.store_path) as store:
        fx.register_files(store, settings, [*paths, broken])
        report = extract(store, settings, ExtractConfig(workers=2, timeout=120, ocr=False))
        rows = store.conn.execute(
            "SELECT df.name, df.role, f.state, fl.kind, fl.reason FROM document_files df "
            "JOIN files f ON f.sha256 = df.sha256 LEFT JOIN failures fl ON "
            "fl.sha256 = f.sha256").fetchall()
        state = {r["name"]: (r["role"], r["state"], r["kind"], r["reason"]) for r in rows}
        for name in MESSAGES:
            assert state[name][1] == "extracted", state[name]
        assert state["trasig.msg"][1] == "failed"
        assert state["trasig.msg"][2] == "corrupt" and state["trasig.msg"][3]
        # Attachments are files of the same documents, extracted in the same run; the
        # attached message is followed to its own text.
        assert state["smbprn.00009008.KdcPjl.pdf"][:2] == ("attachment", "extracted")
        assert state["pj1.txt"][:2] == ("attachment", "extracted")
        assert state["Test Attachment.eml"][:2] == ("attachment", "extracted")
        assert state["Test mail attachment.eml"][:2] == ("attachment", "extracted")
        assert report.attachments == 5
        assert state["test-unicode.doc"][:2] == ("attachment", "extracted")
        text = store.conn.execute(
            "SELECT e.text FROM extractions e JOIN document_files df ON "
            "df.sha256 = e.sha256 WHERE df.name = 'pj1.txt'").fetchone()[0]
        assert "école" in text
