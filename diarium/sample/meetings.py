"""The sample diary's committee meetings (sammanträden, issue 16).

Each committee of Exempelby kommun meets once a month (not in July) in the sample's last
months. A case's committee decision (a protokollsutdrag, and some of the beslut) is an item
of the committee's latest meeting on or before that document's date; each meeting also has
the usual opening and closing items (val av justerare, delegationsbeslut, information).
Items of a case whose decision is secret carry its lagrum. Every meeting gets a notice
(kallelse) PDF; meetings whose minutes were approved by the sample's last day also get the
minutes (protokoll) PDF, in the public version in which secret paragraphs are struck out,
and an anslagsdatum from which the appeal deadline follows.

Deterministic: its own random stream, so the cases and documents of the plan stay as they
are whatever the meetings are.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from diarium.sample import texts

MEETINGS_NAME = "meetings.csv"
MEETING_COLUMNS = (
    "organisation", "namnd", "datum", "tid", "plats", "justerat", "anslagsdatum",
    "kallelse", "protokoll", "protokoll_publicerad", "paragraf", "rubrik", "diarienummer",
    "beslut", "typ", "sekretess",
)
# How many months back from the sample's last day the committees' meetings go.
MONTHS_BY_SIZE = {"small": 12, "medium": 24, "large": 60}
PLACES = ("Kommunhuset, sammanträdesrum Storsjön", "Stadshuset, Tingssalen",
          "Kommunhuset, sal Ekbacken", "Medborgarhuset, lilla salen")
TIMES = ("08:30", "09:00", "13:00", "13:30", "18:00")


@dataclass
class SampleItem:
    paragraf: int
    rubrik: str
    beslut: str
    typ: str = "beslut"
    diarienummer: str = ""
    sekretess: str = ""


@dataclass
class SampleMeeting:
    org: dict[str, Any]
    datum: date
    tid: str
    plats: str
    justerat: date | None = None
    anslagsdatum: date | None = None
    items: list[SampleItem] = field(default_factory=list)
    kallelse_fil: str = ""
    protokoll_fil: str = ""


def _business_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _meeting_days(org_index: int, first: date, last: date) -> list[date]:
    """One meeting a month (none in July): the committee's weekday in the second week."""
    days = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        if month != 7:
            start = date(year, month, 8)
            day = start + timedelta(days=(org_index - start.weekday()) % 7)
            if first <= day <= last:
                days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def _add(meeting: SampleMeeting, numbers: dict[int, int], rubrik: str, beslut: str,
         typ: str = "beslut", dnr: str = "", sekretess: str = "") -> None:
    """Append an item; paragraphs are numbered per committee and year."""
    year = meeting.datum.year
    numbers[year] = numbers.get(year, 0) + 1
    meeting.items.append(SampleItem(numbers[year], rubrik, beslut, typ, dnr, sekretess))


def plan_meetings(cases: Iterable[Any], size: str, seed: int, last_day: date,
                  long_date: Any) -> list[SampleMeeting]:
    """The meetings of every committee, with items linked to the cases they decided."""
    rng = random.Random(f"diarium-sample-meetings-{seed}-{size}")
    first_day = last_day - timedelta(days=31 * MONTHS_BY_SIZE[size])
    decided: dict[str, list[tuple[date, Any, Any]]] = {}
    for case in cases:
        for doc in case.documents:
            if doc.step == "protokollsutdrag" or (doc.step == "beslut" and rng.random() < 0.5):
                decided.setdefault(case.org["slug"], []).append((doc.datum, case, doc))
    meetings: list[SampleMeeting] = []
    for index, org in enumerate(texts.ORGANISATIONS):
        days = _meeting_days(index % 5, first_day, last_day)
        plats, tid = PLACES[index % len(PLACES)], TIMES[index % len(TIMES)]
        numbers: dict[int, int] = {}
        for n, day in enumerate(days):
            following = days[n + 1] if n + 1 < len(days) else last_day + timedelta(days=1)
            meeting = SampleMeeting(org=org, datum=day, tid=tid, plats=plats)
            justerat = _business_day(day + timedelta(days=rng.randint(2, 6)))
            if justerat <= last_day:
                meeting.justerat = justerat
                posted = _business_day(justerat + timedelta(days=1))
                meeting.anslagsdatum = posted if posted <= last_day else None

            chair = f"{rng.choice(texts.FIRST_NAMES)} {rng.choice(texts.LAST_NAMES)}"
            _add(meeting, numbers, "Val av justerare", f"{chair} utses att justera protokollet.")
            for _, case, doc in sorted(
                (d for d in decided.get(org["slug"], ()) if day <= d[0] < following),
                key=lambda d: (d[0], d[1].diarienummer),
            ):
                secret = case.kind["secret"]
                lagrum = secret[0] if secret is not None and (
                    doc.step in secret[1] or doc.sekretess) else ""
                _add(meeting, numbers, case.arendemening,
                    f"{org['namnd']} beslutar att {case.slots['beslut_verb']} "
                    f"{case.slots['arende_kort']}.", dnr=case.diarienummer, sekretess=lagrum)
            _add(meeting, numbers, "Anmälan av delegationsbeslut",
                f"Förteckningen över delegationsbeslut {long_date(day - timedelta(days=30))}"
                f" till {long_date(day - timedelta(days=1))} läggs till handlingarna.",
                typ="anmälan")
            _add(meeting, numbers, "Förvaltningen informerar",
                "Förvaltningschefen informerar om verksamheten och ekonomin.",
                typ="information")
            stem = f"{org['slug']}/sammantraden/{day.isoformat()}"
            meeting.kallelse_fil = f"{stem}-kallelse.pdf"
            if meeting.justerat is not None:
                meeting.protokoll_fil = f"{stem}-protokoll.pdf"
            meetings.append(meeting)
    return meetings


def meeting_documents(meeting: SampleMeeting, long_date: Any, document_type: Any) -> list[Any]:
    """The notice and (when approved) the public minutes of a meeting, as SampleDocuments
    (`document_type` is generator.SampleDocument) for the file writers."""
    namnd = meeting.org["namnd"]
    agenda = [
        f"{i.paragraf}. {_public_title(i)}" + (f" ({i.diarienummer})"
                                                 if i.diarienummer and not i.sekretess else "")
        for i in meeting.items
    ]
    kallelse = document_type(
        step="kallelse", lopnummer=1, datum=meeting.datum - timedelta(days=7),
        riktning="Upprättad", handlingstyp="Kallelse",
        rubrik=f"Kallelse till sammanträde med {namnd[0].lower() + namnd[1:]}", part="",
        fil=meeting.kallelse_fil,
        meta=[("Datum", f"{long_date(meeting.datum)} kl. {meeting.tid}"),
              ("Plats", meeting.plats)],
        sections=[("Föredragningslista", agenda)],
    )
    docs = [kallelse]
    if meeting.justerat is not None:
        sections = []
        for item in meeting.items:
            if item.sekretess:
                sections.append((f"§ {item.paragraf} Sekretess enligt {item.sekretess}",
                                 ["Paragrafen omfattas av sekretess och är struken i den "
                                  "version av protokollet som publiceras."]))
            else:
                body = [f"Diarienummer: {item.diarienummer}"] if item.diarienummer else []
                sections.append((f"§ {item.paragraf} {item.rubrik}",
                                 [*body, f"Beslut: {item.beslut}"]))
        meta = [("Sammanträdesdatum", long_date(meeting.datum)), ("Plats", meeting.plats),
                ("Justerat", long_date(meeting.justerat))]
        if meeting.anslagsdatum is not None:
            meta.append(("Anslaget på anslagstavlan", long_date(meeting.anslagsdatum)))
        docs.append(document_type(
            step="protokoll", lopnummer=2, datum=meeting.justerat, riktning="Upprättad",
            handlingstyp="Protokoll", rubrik=f"Protokoll {namnd} {long_date(meeting.datum)}",
            part="", fil=meeting.protokoll_fil, meta=meta, sections=sections,
        ))
    return docs


def _public_title(item: SampleItem) -> str:
    return f"Sekretess enligt {item.sekretess}" if item.sekretess else item.rubrik


def meeting_rows(meetings: Iterable[SampleMeeting]) -> Iterable[dict[str, str]]:
    """The meetings manifest rows (import format of `diarium import`), one per item."""
    for m in meetings:
        for item in m.items:
            yield {
                "organisation": m.org["slug"],
                "namnd": m.org["namnd"],
                "datum": m.datum.isoformat(),
                "tid": m.tid,
                "plats": m.plats,
                "justerat": m.justerat.isoformat() if m.justerat else "",
                "anslagsdatum": m.anslagsdatum.isoformat() if m.anslagsdatum else "",
                "kallelse": m.kallelse_fil,
                "protokoll": m.protokoll_fil,
                # The minutes' file is the public version (secret paragraphs struck out).
                "protokoll_publicerad": "ja" if m.protokoll_fil else "",
                "paragraf": str(item.paragraf),
                "rubrik": item.rubrik,
                "diarienummer": item.diarienummer,
                "beslut": item.beslut,
                "typ": item.typ,
                "sekretess": item.sekretess,
            }
