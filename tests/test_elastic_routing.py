"""Routing by organisation and the per-body aliases (indexer/elastic/routing.py) on the
real Elasticsearch and OpenSearch nodes, with indices of three shards so that routing
decides where a document lives: routed writes and reads, a record that changes
organisation, routed deletes, reindex and rollback moving every alias in one request
while searches run, a body that disappears, purge, and the percolator."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest

from diarium.alerts import AlertSpec
from diarium.config import Settings, load_settings
from diarium.errors import ConfigError
from diarium.indexer.elastic import ElasticBackend, EngineRefused, load_config, routing
from diarium.indexer.elastic.percolate import Percolator
from diarium.indexer.elastic.reindex import reindex, rollback
from diarium.pipeline.indexing import index as run_index
from diarium.search import SearchRequest
from diarium.store import Store
from diarium.synthetic import make_record

ENGINES = ["elasticsearch", "opensearch"]
ORGS = ("alfa", "beta", "gamma", "delta", "skåne")   # å: an alias name may hold it
SUBJECTS = ("Ansökan om bygglov", "Detaljplan för kvarteret Tallen", "Upphandling av skolskjuts")


def records(n: int = 30) -> list[Any]:
    return [make_record(str(i), organisation=ORGS[i % len(ORGS)],
                        organisation_name=ORGS[i % len(ORGS)].title(),
                        rubrik=f"{SUBJECTS[i % 3]} nr {i}", text=f"Text om ärende {i}.")
            for i in range(1, n + 1)]


def routed(make_elastic, engine: str, **overrides: object) -> ElasticBackend:  # type: ignore[no-untyped-def]
    return make_elastic(engine, routing="organisation", shards=3, **overrides)


def copies_of(backend: ElasticBackend, doc_id: str) -> list[str | None]:
    """The routing of every stored copy of a document (all shards asked)."""
    hits = backend.conn.request("POST", f"/{backend.alias}/_search", body={
        "query": {"term": {"doc_id": doc_id}}, "_source": False})["hits"]["hits"]
    return sorted(str(h.get("_routing")) for h in hits)


def shards_read(backend: ElasticBackend, path: str, query: dict[str, Any]) -> tuple[int, int]:
    answer = backend.conn.request("POST", f"/{path}/_search",
                                  body={"query": query, "size": 0, "track_total_hits": True})
    return int(answer["_shards"]["total"]), int(answer["hits"]["total"]["value"])


def body_alias_targets(backend: ElasticBackend) -> dict[str, list[str]]:
    """Body alias -> the indices it points at."""
    out: dict[str, list[str]] = {}
    for index, names in routing.body_aliases(backend).items():
        for name in names:
            out.setdefault(name, []).append(index)
    return out


def test_config_reads_the_layout() -> None:
    assert load_config(None, "elasticsearch").routing == "none"
    assert load_config(None, "opensearch", {"routing": "organisation"}).routing == \
        "organisation"
    with pytest.raises(ConfigError, match="routing"):
        load_config(None, "elasticsearch", {"routing": "org"})


@pytest.mark.parametrize("engine", ENGINES)
def test_routed_writes_and_reads(engine: str, make_elastic) -> None:  # type: ignore[no-untyped-def]
    backend = routed(make_elastic, engine)
    assert backend.layout == "organisation"
    recs = records()
    assert backend.index(recs) == 30
    assert backend.count() == 30
    (live,) = backend.alias_targets()
    mapping = backend.conn.request("GET", f"/{live}/_mapping")[live]["mappings"]
    assert mapping["_routing"] == {"required": True}
    assert mapping["_meta"]["routing"] == "organisation"
    # Stored under their organisation: a get with that routing finds them.
    for record in recs[:6]:
        got = backend.conn.request("GET", f"/{backend.alias}/_doc/{record.doc_id}",
                                   params={"routing": record.organisation})
        assert got["found"] and got["_routing"] == record.organisation
    # One alias per body, reading one shard and only that body.
    assert backend.known_bodies == set(ORGS)
    assert sorted(body_alias_targets(backend)) == sorted(
        f"{backend.alias}-org-{o}" for o in ORGS)
    for org in ORGS:
        path = routing.body_alias(backend.alias, org)
        assert shards_read(backend, path, {"match_all": {}}) == (1, 6)
        shards = backend.conn.request("GET", f"/{path}/_search_shards")["shards"]
        assert len(shards) == 1
    assert shards_read(backend, backend.alias, {"match_all": {}}) == (3, 30)
    # Another process reads the layout and the bodies from the cluster.
    other = ElasticBackend(backend.config)
    try:
        other.setup()
        assert other.layout == "organisation" and other.known_bodies == set(ORGS)
    finally:
        other.close()
    # Searches: `org:` routes, so does the organisation filter without facets; a search
    # with facets reads every shard (the organisation facet counts the other bodies).
    assert routing.search_path(backend, SearchRequest(query="org:beta bygglov")) == \
        f"{backend.alias}-org-beta"
    assert routing.search_path(backend, SearchRequest(
        query="bygglov", filters={"organisation": ("beta", "gamma")}, with_facets=False)) \
        == f"{backend.alias}-org-beta,{backend.alias}-org-gamma"
    assert routing.search_path(backend, SearchRequest(
        query="bygglov", filters={"organisation": ("beta",)})) == backend.alias
    assert routing.search_path(backend, SearchRequest(query="bygglov")) == backend.alias
    assert routing.search_path(backend, SearchRequest(query="org:okänd")) == backend.alias
    want = sorted(r.doc_id for r in recs if r.organisation == "beta" and "bygglov" in r.rubrik)
    for request in (SearchRequest(query="org:beta bygglov"),
                    SearchRequest(query="bygglov", filters={"organisation": ("beta",)}),
                    SearchRequest(query="bygglov", filters={"organisation": ("beta",)},
                                  with_facets=False),
                    SearchRequest(query="org:beta bygglov", per_page=1, page=2)):
        result = backend.search(request)
        assert result.total == len(want)
    faceted = backend.search(SearchRequest(query="bygglov",
                                           filters={"organisation": ("beta",)}))
    assert {v.value for v in faceted.facets["organisation"]} == set(ORGS)
    # Deep pages (search_after) through a body alias.
    backend.window = 2
    deep = backend.search(SearchRequest(query="org:alfa", sort="newest", per_page=2, page=3))
    backend.window = 10_000
    assert len(deep.hits) == 2 and {h.record.organisation for h in deep.hits} == {"alfa"}
    # get() and the unchanged record round trip.
    assert backend.get("7") == recs[6]


def _same_shard_pair(backend: ElasticBackend) -> tuple[str, str]:
    (live,) = backend.alias_targets()
    shard: dict[str, int] = {}
    for org in ORGS:
        answer = backend.conn.request("GET", f"/{live}/_search_shards",
                                      params={"routing": org})
        shard[org] = int(answer["shards"][0][0]["shard"])
    for a in ORGS:
        for b in ORGS:
            if a < b and shard[a] == shard[b]:
                return a, b
    raise AssertionError(f"five bodies on three shards share one: {shard}")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_record_that_changes_organisation_is_stored_once(
        engine: str, make_elastic) -> None:  # type: ignore[no-untyped-def]
    backend = routed(make_elastic, engine)
    recs = records(10)
    backend.index(recs)
    same_a, same_b = _same_shard_pair(backend)
    moves = ["alfa", "beta", "gamma", "delta", "skåne", same_a, same_b, same_a]
    record = recs[0]
    for org in moves:
        record = replace(record, organisation=org)
        backend.index([record])
        assert copies_of(backend, record.doc_id) == [org]
        assert backend.get(record.doc_id) == record
        assert backend.count() == 10
    # Two moves in one write, and a write of unchanged records deletes nothing.
    moved = [replace(r, organisation="skåne") for r in recs[1:3]]
    indexer_stats = backend.index(moved)
    assert indexer_stats == 2 and backend.count() == 10
    assert [copies_of(backend, r.doc_id) for r in moved] == [["skåne"], ["skåne"]]
    now = {r.doc_id: r.organisation for r in [*recs, record, *moved]}   # the last wins
    assert backend.search(SearchRequest(query="org:skåne")).total == \
        sum(org == "skåne" for org in now.values())


@pytest.mark.parametrize("engine", ENGINES)
def test_routed_delete_and_unrouted_copies(engine: str, make_elastic) -> None:  # type: ignore[no-untyped-def]
    # An index written unrouted, then the setting turned on: writes follow the live
    # index (still unrouted) until a reindex; a routed index's writes delete unrouted
    # copies of the same ids.
    plain = make_elastic(engine, shards=3)
    plain.index(records(10))
    assert plain.layout == "none" and not routing.body_aliases(plain)
    later = ElasticBackend(load_config(None, engine, {"url": plain.config.url,
                                                      "index": plain.alias,
                                                      "routing": "organisation",
                                                      "shards": 3}))
    try:
        later.setup()
        assert later.layout == "none"
        assert later.index(records(10)[:2]) == 2 and later.count() == 10
        # Routed writes into the unrouted live index (as after a rollback to it).
        later.layout = "organisation"
        later.index(records(10))
        assert later.count() == 10
        assert copies_of(later, "3") == [records(10)[2].organisation]
        assert later.delete(["3", "4", "999"]) == 2
        assert later.count() == 8 and copies_of(later, "3") == []
    finally:
        later.close()


def fill_store(store: Store, n: int, orgs: tuple[str, ...] = ORGS) -> None:
    """n documents spread over `orgs`, one case each."""
    with store.transaction() as conn:
        for i in range(1, n + 1):
            slug = orgs[i % len(orgs)]
            org = store.organisation_id(slug, slug.title())
            cur = conn.execute(
                "INSERT INTO cases (organisation_id, diarienummer, dnr_key, arendemening, "
                "status, namnd, enhet) VALUES (?, ?, ?, ?, 'pågående', 'Kommunstyrelsen', "
                "'Kansliet')", (org, f"KS 2023/{i}", f"KS|2023|{i}", SUBJECTS[i % 3]))
            doc = conn.execute(
                "INSERT INTO documents (case_id, lopnummer, datum, riktning, handlingstyp, "
                "rubrik, part, sekretess, row_hash) VALUES (?, 1, '2023-05-01', "
                "'Inkommande', 'Skrivelse', ?, 'Trafikverket', '', ?)",
                (cur.lastrowid, f"{SUBJECTS[i % 3]} nr {i}", str(i)))
            store.record_change(int(doc.lastrowid or 0))


@pytest.fixture
def store(settings: Settings):  # type: ignore[no-untyped-def]
    with Store(settings.store_path) as store:
        yield store


class _Recorder:
    """Records the `_aliases` requests a connection sends (the requests still go out)."""

    def __init__(self, backend: ElasticBackend) -> None:
        self.calls: list[dict[str, Any]] = []
        send = backend.conn.request

        def request(method: str, path: str, body: Any = None, **kw: Any) -> Any:
            if path == "/_aliases":
                self.calls.append(body)
            return send(method, path, body, **kw)

        backend.conn.request = request  # type: ignore[method-assign]


@pytest.mark.parametrize("engine", ENGINES)
def test_reindex_and_rollback_move_every_alias_at_once(
        engine: str, make_elastic, store: Store, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    fill_store(store, 100)
    backend = routed(make_elastic, engine)
    run_index(store, settings, backend)
    per_body = {o: 20 for o in ORGS}
    assert backend.known_bodies == set(ORGS)
    searcher = ElasticBackend(load_config(None, engine, {
        "url": backend.config.url, "index": backend.alias, "routing": "organisation"}))
    searcher.setup()
    stop = threading.Event()
    outcomes: list[str] = []

    def loop() -> None:
        while not stop.is_set():
            for org, want in per_body.items():
                try:
                    path = routing.body_alias(backend.alias, org)
                    got = searcher.conn.request("POST", f"/{path}/_search", body={
                        "size": 0, "track_total_hits": True})
                    outcomes.append("ok" if got["hits"]["total"]["value"] == want
                                    and got["_shards"]["total"] == 1 else f"{org}: {got}")
                    result = searcher.search(SearchRequest(query=f"org:{org}"))
                    outcomes.append("ok" if result.total == want else f"{org}: {result.total}")
                except Exception as exc:  # noqa: BLE001 - every failure is counted
                    outcomes.append(f"failed: {exc}")

    recorder = _Recorder(backend)
    thread = threading.Thread(target=loop)
    thread.start()
    try:
        first = backend.alias_targets()
        report = reindex(store, settings, backend, batch=30, chunk_docs=25)
        assert report.previous == first[0]
        second = reindex(store, settings, backend, batch=30, chunk_docs=25)
        back = rollback(store, backend)
        assert back == report.index
    finally:
        stop.set()
        thread.join()
        searcher.close()
    assert len(outcomes) > 20 and [o for o in outcomes if o != "ok"] == []
    # Each move was one request holding the main alias and every body alias.
    assert len(recorder.calls) == 3
    for call, target in zip(recorder.calls, (report.index, second.index, report.index),
                            strict=True):
        adds = [a["add"] for a in call["actions"] if "add" in a]
        assert {a["alias"] for a in adds} == {backend.alias, *(
            routing.body_alias(backend.alias, o) for o in ORGS)}
        assert {a["index"] for a in adds} == {target}
    assert body_alias_targets(backend) == {
        routing.body_alias(backend.alias, o): [report.index] for o in ORGS}
    assert backend.alias_targets() == [report.index]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_body_that_disappears_loses_its_alias_and_purge_keeps_routing(
        engine: str, make_elastic, store: Store, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    fill_store(store, 25)
    backend = routed(make_elastic, engine)
    run_index(store, settings, backend)
    gone = [int(r[0]) for r in store.conn.execute(
        "SELECT d.id FROM documents d JOIN cases c ON c.id = d.case_id JOIN organisations o "
        "ON o.id = c.organisation_id WHERE o.slug = 'delta'")]
    with store.transaction() as conn:
        for doc_id in gone:
            conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            store.record_change(doc_id)
    report = run_index(store, settings, backend)
    assert report.deleted == 5 and report.purged
    assert backend.count() == 20
    assert sorted(body_alias_targets(backend)) == sorted(
        routing.body_alias(backend.alias, o) for o in ORGS if o != "delta")
    assert backend.known_bodies == set(ORGS) - {"delta"}
    # The purged copy is routed too: every document on its body's shard.
    for source in backend.raw_sources():
        assert copies_of(backend, source["doc_id"]) == [source["organisation"]]
    assert backend.search(SearchRequest(query="org:delta")).total == 0
    assert backend.search(SearchRequest(query="org:beta")).total == 5


@pytest.mark.parametrize("engine", ENGINES)
def test_alerts_match_on_a_routed_index(engine: str, make_elastic) -> None:  # type: ignore[no-untyped-def]
    backend = routed(make_elastic, engine)
    recs = records()
    backend.index(recs)
    spec = AlertSpec(label="bygglov i beta", query="bygglov",
                     filters={"organisation": ("beta",)})
    want = [r.doc_id for r in recs if r.organisation == "beta" and "bygglov" in r.rubrik]
    # The restricted search (the path without a percolator) goes through the body alias.
    request = spec.request(doc_ids=tuple(r.doc_id for r in recs))
    assert routing.search_path(backend, request) == routing.body_alias(backend.alias, "beta")
    assert sorted(h.record.doc_id for h in backend.search(request).hits) == sorted(want)
    matcher = Percolator(backend)
    if not matcher.available():
        pytest.skip(f"the {engine} test node has no percolator module")
    try:
        matcher.register({1: spec})
        assert sorted(matcher.match(recs).get(1, [])) == sorted(want)
    finally:
        matcher.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_layout_follows_the_live_index(engine: str, make_elastic, store: Store,
                                       settings: Settings) -> None:  # type: ignore[no-untyped-def]
    # An unrouted install turns routing on: the next reindex builds a routed index, a
    # rollback goes back to the unrouted one (its body aliases removed in the same
    # request), and each backend writes the way the live index is laid out.
    fill_store(store, 20)
    plain = make_elastic(engine, shards=3)
    run_index(store, settings, plain)
    on = ElasticBackend(load_config(None, engine, {
        "url": plain.config.url, "index": plain.alias, "routing": "organisation",
        "shards": 3}))
    try:
        on.setup()
        assert on.layout == "none"
        reindex(store, settings, on)
        assert on.layout == "organisation" and on.known_bodies == set(ORGS)
        for source in on.raw_sources():
            assert copies_of(on, source["doc_id"]) == [source["organisation"]]
        # A process that read the old layout cannot write unrouted into the routed index.
        stale = make_elastic(engine, setup=False, index=plain.alias, shards=3)
        stale.layout = "none"
        with pytest.raises(EngineRefused, match="routing_missing"):
            stale.index([make_record("1", organisation="alfa")])
        rollback(store, on)
        assert on.layout == "none" and not routing.body_aliases(on)
        assert routing.search_path(on, SearchRequest(query="org:alfa")) == on.alias
        assert on.search(SearchRequest(query="org:alfa")).total == 4
        run_index(store, settings, on)          # writes unrouted again
        assert on.count() == 20
    finally:
        on.close()


def test_routing_from_diarium_toml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "diarium.toml").write_text(
        '[opensearch]\nrouting = "organisation"\nshards = 3\n', encoding="utf-8")
    config = load_config(load_settings(tmp_path), "opensearch")
    assert (config.routing, config.shards) == ("organisation", 3)
