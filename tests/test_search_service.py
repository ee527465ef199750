"""The search service (diarium.search), its JSON shape, open_backend and `diarium search`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diarium.cli import main
from diarium.config import Settings, load_settings
from diarium.errors import ConfigError
from diarium.indexer import open_backend
from diarium.search import FACET_NAMES, SearchRequest, result_to_json, search
from diarium.synthetic import generate_records, make_record

PAGES = ("Sida ett om parkering.", "Sida två: beslut om bygglov för Åkern 2:14.")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = load_settings(tmp_path_factory.mktemp("service") / "data")
    backend = open_backend(settings)
    backend.index(list(generate_records(200, seed=5)) + [
        make_record("900", rubrik="Bygglov Åkern", text="\n".join(PAGES), pages=PAGES,
                    diarienummer="SBN 2024/77", dnr_key="SBN|2024|77", lopnummer=3,
                    organisation="planted", handlingstyp="Beslut", riktning="Utgående",
                    datum="2024-02-29", has_file=True),
    ])
    backend.close()
    return settings


def test_open_backend_uses_the_index_dir_and_rejects_unknown_engines(
        settings: Settings) -> None:
    backend = open_backend(settings)
    assert backend.name == "embedded"
    assert (settings.index_dir / "embedded").is_dir()
    backend.close()
    with pytest.raises(ConfigError, match="unknown search engine"):
        open_backend(settings, "solr")


def test_search_service_opens_the_configured_engine(indexed: Settings) -> None:
    result = search(indexed, SearchRequest("SBN 2024/77"))
    assert result.hits[0].record.doc_id == "900"


def test_result_json_shape(indexed: Settings) -> None:
    result = search(indexed, SearchRequest("bygglov Åkern",
                                           filters={"organisation": ("planted",)}))
    data = json.loads(json.dumps(result_to_json(result)))
    assert set(data) >= {"total", "page", "per_page", "partial", "hits", "facets"}
    assert data["total"] == 1 and data["page"] == 1 and data["partial"] is False
    hit = data["hits"][0]
    assert {k: hit[k] for k in ("doc_id", "organisation", "diarienummer", "lopnummer",
                                "datum", "riktning", "handlingstyp", "rubrik")} == {
        "doc_id": "900", "organisation": "planted", "diarienummer": "SBN 2024/77",
        "lopnummer": 3, "datum": "2024-02-29", "riktning": "Utgående",
        "handlingstyp": "Beslut", "rubrik": "Bygglov Åkern"}
    snippet = hit["snippets"][0]
    assert set(snippet) == {"text", "marks", "page"}
    assert snippet["page"] == 2 and hit["page"] == 2
    assert {snippet["text"][a:b].lower() for a, b in snippet["marks"]} >= {"bygglov"}
    assert list(data["facets"]) == list(FACET_NAMES)
    # the filtered facet lists its other values too (multi-select); the rest count hits
    assert {"value": "planted", "count": 1} in data["facets"]["organisation"]
    assert data["facets"]["handlingstyp"] == [{"value": "Beslut", "count": 1}]


def run_cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--data", str(settings.data_dir), "search", *args])
    return result.exit_code, result.output


def test_cli_search_table_and_json(indexed: Settings) -> None:
    code, out = run_cli(indexed, "bygglov", "--filter", "organisation=planted")
    assert code == 0, out
    assert out.startswith("1 träffar")
    assert "SBN 2024/77:3" in out and "(sida 2)" in out
    code, out = run_cli(indexed, "sbn-2024-77", "--json", "--per-page", "5")
    assert code == 0, out
    data = json.loads(out)
    assert data["hits"][0]["doc_id"] == "900" and data["per_page"] == 5


def test_cli_sort_and_page(indexed: Settings) -> None:
    code, out = run_cli(indexed, "", "--sort", "oldest", "--page", "2", "--per-page", "3",
                        "--json")
    assert code == 0, out
    data = json.loads(out)
    dates = [h["datum"] for h in data["hits"]]
    assert dates == sorted(dates) and data["page"] == 2 and len(dates) == 3


@pytest.mark.parametrize(("args", "message"), [
    (["x", "--filter", "color=blue"], "unknown field"),
    (["x", "--filter", "handlingstyp"], "field=value"),
    (["x", "--sort", "best"], "best"),
    (["x", "--page", "0"], "0"),
    (["x", "--filter", "has_file=kanske"], "yes/no"),
])
def test_cli_bad_input_is_a_clear_error(indexed: Settings, args: list[str],
                                        message: str) -> None:
    code, out = run_cli(indexed, *args)
    assert code == 2
    assert message in out


def test_cli_search_on_a_fresh_data_folder_finds_nothing(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "fresh")
    code, out = run_cli(settings, "bygglov")
    assert code == 0 and out.startswith("0 träffar")


def test_open_backend_reads_diarienummer_as_each_organisation_writes_them(
        tmp_path: Path) -> None:
    """Helsingborg-style `Dnr 0263/19` (serial/two-digit year) is only a case number under
    that organisation's settings; open_backend hands them to the query parser."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "diarium.toml").write_text(
        '[organisations.hbg]\ndnr_order = "serial/year"\ntwo_digit_years = true\n',
        encoding="utf-8")
    record = make_record("7", diarienummer="Dnr 0263/19", dnr_key="|2019|263",
                         organisation="hbg", rubrik="Skrivelse om parkering")

    with_orgs = load_settings(data)
    backend = open_backend(with_orgs)
    backend.index([record, make_record("8", diarienummer="KS 2019/264",
                                       dnr_key="KS|2019|264", rubrik="Annat ärende")])
    backend.close()
    for typed in ("0263/19", "263/19", "Dnr 0263/19"):
        found = search(with_orgs, SearchRequest(query=typed))
        assert [hit.record.doc_id for hit in found.hits] == ["7"], typed

    # The same index read without the organisation's conventions: not a case number.
    plain = Settings(data_dir=with_orgs.data_dir)
    assert search(plain, SearchRequest(query="263/19")).total == 0
