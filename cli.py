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
from diarium.errors import DiariumError
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
            sys.exit(exc.exit_code)

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
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Threads per worker.")
@pass_app
@handle_errors
def serve(app: AppContext, host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the public site and JSON API with gunicorn (a production WSGI server).

    \b
    Example:
        diarium --data ./diarium-data serve --host 0.0.0.0 --port 8080 --workers 4
    """
    from diarium.web.server import serve as run_server

    click.echo(f"Serving {app.data_dir} on http://{host}:{port}/ (Ctrl-C stops)")
    run_server(app.settings, host=host, port=port, workers=workers, threads=threads)


def _parse_filters(ctx: click.Context, param: click.Parameter,
                   values: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    from diarium.indexer.base import FACET_NAMES

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
@pass_app
@handle_errors
def search(app: AppContext, query: str, filters: dict[str, tuple[str, ...]], sort: str,
           page: int, per_page: int, as_json: bool, engine: str | None) -> None:
    """Search the index: words, "phrases", -exclusions, OR, prefix*, field:value,
    datum:2023-01-01..2023-06-30 and diarienummer typed any way.

    \b
    Example:
        diarium search 'bygglov -altan "Tallen 4"' --filter handlingstyp=Beslut --sort newest
        diarium search 'KS 2023/123' --json
    """
    import json

    from diarium.indexer import open_backend
    from diarium.indexer.base import SearchRequest

    from diarium.search import result_to_json
    from diarium.search import search as run_search

    request = SearchRequest(query=query, filters=filters, sort=sort,  # type: ignore[arg-type]
                            page=page, per_page=per_page, with_facets=as_json)
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
    for hit in result.hits:
        record = hit.record
        click.echo("")
        click.secho(f"{record.datum}  {record.diarienummer}:{record.lopnummer}  "
                    f"{record.handlingstyp}  {record.riktning}  {record.organisation_name}",
                    bold=True)
        click.echo(f"  {record.rubrik}")
        for snippet in hit.snippets:
            text, pos = "", 0
            for mark in snippet.marks:
                text += snippet.text[pos:mark.start] + click.style(
                    snippet.text[mark.start:mark.end], bold=True, underline=True)
                pos = mark.end
            where = f" (sida {snippet.page})" if snippet.page else ""
            click.echo(f"  …{text + snippet.text[pos:]}…{where}")


if __name__ == "__main__":  # pragma: no cover
    main()
