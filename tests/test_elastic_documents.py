"""The Elasticsearch/OpenSearch document of a record and the record back from it: the
record's text is stored once (as its pages) when the pages give it back, and every record
comes back exactly, also one written when `body` was always stored."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from diarium.indexer.elastic.documents import DocumentBuilder, record_from_source
from diarium.public import PublicRecord

BASE = PublicRecord(
    doc_id="7", case_id=3, organisation="ks", organisation_name="Kommunstyrelsen",
    diarienummer="KS 2024/12", dnr_key="KS|2024|12", lopnummer=2, datum="2024-03-05",
    riktning="inkommande", handlingstyp="Skrivelse", rubrik="Yttrande om detaljplan",
    part="", arendemening="Detaljplan för Ängen", namnd="KS", enhet="", handlaggare="",
    status="", klassificering="", text="", pages=(), has_file=True, secret=False,
    sekretess_text="")
PAGES = ("Sida ett: samrådet om detaljplanen.", "Sida två: nämnden beslutar.")


@pytest.mark.parametrize("record, body_stored", [
    (replace(BASE, text="\n\n".join(PAGES), pages=PAGES), False),      # an extraction
    (replace(BASE, text="Brödtext utan sidor"), False),                # one value
    (replace(BASE, text="", pages=()), False),                         # a register entry
    (replace(BASE, text="Sida ett\n\nSida två", pages=("Sida ett", "", "Sida två")), True),
    (replace(BASE, text="E-post och bilaga", pages=PAGES), True),      # text not its pages
])
def test_record_comes_back_exactly(record: PublicRecord, body_stored: bool) -> None:
    source = DocumentBuilder().source(record)
    assert ("body" in source) is body_stored
    # The engine hands back what was sent, as JSON.
    assert record_from_source(json.loads(json.dumps(source))) == record


def test_a_document_written_with_body_always_stored_reads_as_before() -> None:
    record = replace(BASE, text="\n\n".join(PAGES), pages=PAGES)
    source = DocumentBuilder().source(record)
    old = {**source, "body": record.text}
    assert record_from_source(old) == record

