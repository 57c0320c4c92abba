"""The command line: parse options, call the query layer, hand records to a renderer, map errors to exit codes.

The only module that imports typer.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from pakaz.errors import ExitCode, PakazError, printable
from pakaz.render import Format, Listing, Style

EXIT_CODES_HELP = (
    "Exit codes: 0 success (also an empty result), 1 data problem or not found, 2 usage error, 130 interrupted."
)


class Verification(str, Enum):
    confirmed = "confirmed"
    reported = "reported"
    article_only = "article-only"
    corrected = "corrected"
    disputed = "disputed"


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


def _error(message: str) -> None:
    # printable: a message can quote KB text or an argument, which must not drive the terminal.
    sys.stderr.write(f"Error: {printable(message)}\n")
    sys.stderr.flush()


def _discard_stdout() -> None:
    # Point stdout at /dev/null, so that the flush at exit cannot fail (and print a traceback).
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _quiet_broken_pipe() -> NoReturn:
    # The reader closed the pipe ("enough"): stop quietly, without a flush error at exit.
    _discard_stdout()
    raise typer.Exit(ExitCode.OK)


class PakazGroup(TyperGroup):
    """Translates every PakazError (and Ctrl-C, and a closed pipe) into its exit code, in one place."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except PakazError as e:
            _error(str(e))
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            sys.stderr.write("\nInterrupted.\n")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except BrokenPipeError:
            _quiet_broken_pipe()

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **kwargs: Any,
    ) -> Any:
        # Usage errors as one line ("Error: ...; see 'pakaz timeline --help'") instead of
        # a boxed panel, with the documented exit code; everything else as Typer does it.
        if args is None:
            args = sys.argv[1:]
        if "_PAKAZ_COMPLETE" not in os.environ:
            args = hoist_global_options(list(args))
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **kwargs)
        from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # vendored in 0.26-0.28

        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **kwargs)
        except NoArgsIsHelpError as e:  # plain `pakaz`: the help, as `pakaz --help` prints it
            # The error was built from the help: at a terminal rich printed it then (and the
            # message is empty), in a pipe the message is the help text. Never build it twice.
            help_text = e.format_message()
            if help_text:
                sys.stdout.write(help_text + "\n")
            code = ExitCode.OK
        except UsageError as e:
            hint = f"; see '{e.ctx.command_path} --help'" if e.ctx is not None else ""
            _error(e.format_message().replace("\n", " ").rstrip(".") + hint)
            code = ExitCode.USAGE
        except ClickException as e:
            _error(e.format_message())
            code = e.exit_code
        except typer.Abort:  # Ctrl-C inside click's own code (a prompt, for instance)
            sys.stderr.write("\nInterrupted.\n")
            code = ExitCode.INTERRUPTED
        sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (AttributeError, ValueError):  # stdout closed or replaced
        return False


app = typer.Typer(
    cls=PakazGroup,
    help="Facts about Pakistan-Azerbaijan relations, each with its source.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    # Boxed, coloured help for a person at a terminal; plain text in a pipe, where rich
    # would only cost startup time (about 150 ms) and decorate what a script reads.
    rich_markup_mode="rich" if _stdout_is_terminal() else None,
)


class Settings:
    """Global options, shared by every command through the click context."""

    def __init__(self, data: str | None, color: Color, pager: bool = True) -> None:
        self.data = data
        self.color = color
        self.pager = pager

    def kb(self) -> Any:
        from pakaz.kb import load

        return load(self.data)


def _settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings(None, Color.auto)


def _version(ctx: typer.Context, value: bool) -> None:
    if not value:
        return
    from pakaz import __version__

    line = f"pakaz {__version__}"
    data = ctx.params.get("data")
    if data is not None and not data.strip():  # parsed before any command runs: report it here
        _error("Invalid value for '--data': the path is empty; give a KB directory or leave --data out")
        raise typer.Exit(ExitCode.USAGE)
    try:
        from pakaz.kb import load

        # --data is eager and --version is not, so --data (or PAKAZ_DATA) is known here in any order.
        meta = load(ctx.params.get("data") or None).meta
        line += f" (knowledge base {meta.version}, {meta.date})"
    except PakazError as e:
        line += f" (knowledge base not loadable: {e})"
    typer.echo(printable(line))
    raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            envvar="PAKAZ_DATA",
            is_eager=True,  # known to --version's callback whatever the order on the command line
            metavar="DIR",
            help="Use the KB in DIR instead of the bundled one.",
        ),
    ] = None,
    color: Annotated[Color, typer.Option("--color", help="Colour in tables: auto, always or never.")] = Color.auto,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="Print long output at a terminal straight, not through a pager.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, help="Show the version of pakaz and its KB.")
    ] = False,
) -> None:
    """Facts about Pakistan-Azerbaijan relations, each with its source."""
    if data is not None and not data.strip():
        # An empty --data is an unset variable in a script, not "the current directory".
        from pakaz.errors import UsageError

        raise UsageError("Invalid value for '--data': the path is empty; give a KB directory or leave --data out")
    ctx.obj = Settings(data, color, pager=not no_pager)


# --- completion ----------------------------------------------------------------------


def matching(values: Iterable[str], incomplete: str) -> list[str]:
    """Values that start with what was typed, in any case, spelled with the typed prefix.

    Shells keep only candidates that start exactly with the word typed; the options
    accept any case, so `--country p<TAB>` offers `pAK`-style candidates as `pak`.
    """
    low = incomplete.lower()
    out = []
    for value in values:
        if value.lower().startswith(low):
            rest = value[len(incomplete) :]
            out.append(incomplete + (rest.lower() if incomplete.islower() else rest))
    return out


def _complete(pick: Callable[[Any], list[str]]) -> Callable[[typer.Context, str], list[str]]:
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            from pakaz.kb import load

            root_params = ctx.find_root().params
            values = pick(load(root_params.get("data") or os.environ.get("PAKAZ_DATA") or None))
        except Exception:  # completion must never print a traceback into the shell
            return []
        return matching(values, incomplete)

    return complete


# Every word --sector accepts: the ids, then the aliases (`mil` finds `military`, an alias of defence).
complete_sector = _complete(
    lambda kb: _ids_then_aliases([s.id for s in kb.sectors], [a for s in kb.sectors for a in s.aliases])
)


def _indicator_names(kb: Any) -> list[str]:
    from pakaz.query import indicator_names

    return indicator_names(kb)


def _ids(*collections: str) -> Callable[[Any], list[str]]:
    def ids(kb: Any) -> list[str]:
        from pakaz.query import ids

        return [i for c in collections for i in ids(kb, c)]

    return ids


complete_name = _complete(_indicator_names)
complete_id = _complete(_ids("events", "agreements", "indicators", "envoys", "errata", "sources", "sectors"))
complete_source = _complete(_ids("sources"))


def complete_type(incomplete: str) -> list[str]:
    from pakaz.model import AGREEMENT_TYPES
    from pakaz.query import TYPE_ALIASES

    return matching(_ids_then_aliases(AGREEMENT_TYPES, TYPE_ALIASES), incomplete)


def complete_event_type(incomplete: str) -> list[str]:
    from pakaz.model import EVENT_TYPES

    return matching(EVENT_TYPES, incomplete)


def complete_country(incomplete: str) -> list[str]:
    from pakaz.model import COUNTRIES
    from pakaz.query import COUNTRY_ALIASES

    return matching(_ids_then_aliases(COUNTRIES, COUNTRY_ALIASES), incomplete)


def _ids_then_aliases(ids: Iterable[str], aliases: Iterable[str]) -> list[str]:
    # An alias that only respells an id in another case (`pak` for `PAK`) would offer it twice.
    ids = list(ids)
    known = {i.lower() for i in ids}
    return ids + [a for a in aliases if a.lower() not in known]


# --- shared options -------------------------------------------------------------------

FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format; auto is table on a terminal, tsv otherwise.")
]
FieldsOpt = Annotated[
    str | None, typer.Option("--fields", metavar="A,B,C", help="Pick and order the fields of every format.")
]
NoHeaderOpt = Annotated[bool, typer.Option("--no-header", help="Leave out the header line of tsv, csv and markdown.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", min=0, help="Show at most N records.")]
SinceOpt = Annotated[
    str | None, typer.Option("--since", metavar="DATE", help="From this date: YYYY, YYYY-MM or YYYY-MM-DD.")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", metavar="DATE", help="Up to this date: YYYY, YYYY-MM or YYYY-MM-DD.")
]
SectorOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--sector",
        "-s",
        metavar="SECTOR",
        autocompletion=complete_sector,
        help="Only this sector (repeatable; aliases work).",
    ),
]
QueryOpt = Annotated[
    str | None,
    typer.Option("--query", "-q", metavar="TEXT", help="Only records with every word of TEXT (or a synonym)."),
]
YearOpt = Annotated[
    list[int] | None, typer.Option("--year", "-y", min=1, max=9999, help="Only this year (repeatable).")
]
VerificationOpt = Annotated[
    list[Verification] | None,
    typer.Option("--verification", "-V", help="Only records with this verification status (repeatable)."),
]


class Output:
    """Resolves the output format and writes rendered text to stdout."""

    def __init__(self, ctx: typer.Context, fmt: Format, fields: str | None = None, no_header: bool = False) -> None:
        self.settings = _settings(ctx)
        self.is_tty = sys.stdout.isatty()
        self.fmt = (Format.table if self.is_tty else Format.tsv) if fmt is Format.auto else fmt
        self.fields = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        if fields is not None and not self.fields:
            from pakaz.errors import UsageError

            raise UsageError("Invalid value for '--fields': give at least one field name")
        self.header = not no_header

    def style(self) -> Style:
        return Style(width=shutil.get_terminal_size((100, 24)).columns, color=self.use_color())

    def use_color(self) -> bool:
        choice = self.settings.color
        if choice is Color.always:
            return True
        if choice is Color.never or os.environ.get("NO_COLOR"):
            return False
        if os.environ.get("FORCE_COLOR"):
            return True
        return self.is_tty and os.environ.get("TERM") != "dumb"

    def records(self, found: Any, view: Callable[[Any], Listing], empty_note: str) -> None:
        """A listing of KB records; whole records as JSON Lines come straight from the database."""
        from pakaz.store import Found

        if self.fmt is Format.jsonl and not self.fields and isinstance(found, Found):
            lines = found.json_lines()
            if lines is not None:
                if not lines and self.is_tty:
                    sys.stderr.write(empty_note + "\n")
                self.show(lines)
                return
        self.listing(view(found), empty_note)

    def listing(self, listing: Listing, empty_note: str) -> None:
        from pakaz.render import render, select

        listing = select(listing, self.fields)
        if not listing.rows and self.is_tty:
            sys.stderr.write(empty_note + "\n")
        self.show(
            render(listing, self.fmt, header=self.header, style=self.style() if self.fmt is Format.table else None)
        )

    def show(self, text: str) -> None:
        """Write `text`; at a terminal, through a pager when it is longer than the screen (as git does)."""
        if not (self.is_tty and self.settings.pager and text and page(text)):
            write(text)


def pager_command() -> str | None:
    """The pager, chosen as git chooses its own: $PAKAZ_PAGER, else $PAGER, else `less -FRX`.

    An empty value (or `cat`) means no pager; `less -FRX` quits when the text fits one
    screen, passes colour through and leaves the text on the screen.
    """
    for name in ("PAKAZ_PAGER", "PAGER"):
        if name in os.environ:
            value = os.environ[name].strip()
            return value if value and value != "cat" else None
    return "less -FRX" if shutil.which("less") else None


def _screen_lines(text: str, columns: int) -> int:
    return sum(max(1, -(-len(line) // max(columns, 1))) for line in text.split("\n")[:-1] or [""])


def page(text: str) -> bool:
    """Show `text` through the pager when it is longer than the terminal; False if it was not paged."""
    size = shutil.get_terminal_size((100, 24))
    if _screen_lines(text, size.columns) < size.lines:
        return False
    command = pager_command()
    if command is None:
        return False
    import contextlib
    import shlex
    import subprocess

    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return False
    if shutil.which(program) is None:  # a pager that is not installed: print as if there were none
        return False
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # as git sets it: a plain PAGER=less keeps colour too
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    try:
        # Through the shell, as git runs it: PAGER may hold options and quotes.
        pager = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    assert pager.stdin is not None
    # OSError: the reader quit the pager before the end (enough); Ctrl-C belongs to the pager while it runs.
    with contextlib.suppress(OSError, KeyboardInterrupt):
        pager.stdin.write(text.encode(sys.stdout.encoding or "utf-8", "backslashreplace"))
    with contextlib.suppress(OSError):
        pager.stdin.close()
    while True:
        try:
            pager.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C is the pager's to handle; wait for it to end
            continue
    return True


def write(text: str) -> None:
    """Write to stdout, replacing what its encoding cannot represent instead of failing."""
    if not text:
        return
    try:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:
            encoding = sys.stdout.encoding or "ascii"
            sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as e:  # a full disk (> /dev/full), a closed descriptor, an I/O error
        _discard_stdout()  # or the flush at exit fails again, with a traceback
        raise PakazError(f"cannot write the output: {e.strerror or e}") from None


def _verification(values: list[Verification] | None) -> list[str]:
    return [v.value for v in values or ()]


def _first(records: list[Any], limit: int | None) -> list[Any]:
    return records if limit is None else records[:limit]


def find_any_case(kb: Any, record_id: str) -> Any:
    """The record with this id; ids are lowercase, so `GDP-PAK-2023` finds `gdp-pak-2023`."""
    from pakaz import query as q
    from pakaz.errors import NotFoundError

    try:
        return q.find(kb, record_id)
    except NotFoundError:
        if record_id == record_id.lower():
            raise
        try:
            return q.find(kb, record_id.lower())
        except NotFoundError:
            pass
        raise


class SourceSort(str, Enum):
    publisher = "publisher"
    title_ = "title"
    published = "published"
    cited = "cited"
    id_ = "id"
    file = "file"


# --- commands -------------------------------------------------------------------------


@app.command()
def timeline(
    ctx: typer.Context,
    since: SinceOpt = None,
    until: UntilOpt = None,
    sector: SectorOpt = None,
    query: QueryOpt = None,
    verification: VerificationOpt = None,
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            "-t",
            metavar="TYPE",
            autocompletion=complete_event_type,
            help="Only this type: visit, meeting, statement, ... (repeatable).",
        ),
    ] = None,
    year: YearOpt = None,
    reverse: Annotated[bool, typer.Option("--reverse", "-r", help="Newest first.")] = False,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.auto,
    fields: FieldsOpt = None,
    no_header: NoHeaderOpt = False,
) -> None:
    """Events in chronological order (undated last).

    \b
    Examples:
      pakaz timeline --since 2020 --sector energy
      pakaz timeline -r -n 5
      pakaz timeline --type visit --year 2024
      pakaz timeline -q visit -f json
    """
    from pakaz import query as q
    from pakaz import views

    out = Output(ctx, fmt, fields, no_header)
    kb = out.settings.kb()
    found = q.timeline(
        kb, since=since, until=until, sectors=sector or (), query=query,
        verification=_verification(verification), types=type_ or (), years=year or (), reverse=reverse, limit=limit,
    )  # fmt: skip
    out.records(found, views.events, "No events match.")


@app.command()
def agreements(
    ctx: typer.Context,
    sector: SectorOpt = None,
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            "-t",
            metavar="TYPE",
            autocompletion=complete_type,
            help="Only this type: mou, agreement, treaty, ... (repeatable).",
        ),
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    year: YearOpt = None,
    query: QueryOpt = None,
    verification: VerificationOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.auto,
    fields: FieldsOpt = None,
    no_header: NoHeaderOpt = False,
) -> None:
    """Agreements, MoUs, treaties and declarations, in order of signing.

    \b
    Examples:
      pakaz agreements --sector energy
      pakaz agreements --type mou --since 2024
      pakaz agreements -f json
    """
    from pakaz import query as q
    from pakaz import views

    out = Output(ctx, fmt, fields, no_header)
    kb = out.settings.kb()
    found = q.agreements(
        kb, sectors=sector or (), types=type_ or (), since=since, until=until, query=query,
        verification=_verification(verification), years=year or (), limit=limit,
    )  # fmt: skip
    out.records(found, views.agreements, "No agreements match.")


@app.command()
def indicators(
    ctx: typer.Context,
    country: Annotated[
        list[str] | None,
        typer.Option(
            "--country",
            "-c",
            metavar="COUNTRY",
            autocompletion=complete_country,
            help="PAK, AZE or PAK-AZE; also PK, pakistan, ... (repeatable).",
        ),
    ] = None,
    name: Annotated[
        list[str] | None,
        typer.Option(
            "--name", metavar="NAME", autocompletion=complete_name, help="Only this indicator, e.g. gdp (repeatable)."
        ),
    ] = None,
    year: YearOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    verification: VerificationOpt = None,
    limit: LimitOpt = None,
    chart: Annotated[bool, typer.Option("--chart", help="Draw the values as horizontal bars.")] = False,
    fmt: FormatOpt = Format.auto,
    fields: FieldsOpt = None,
    no_header: NoHeaderOpt = False,
) -> None:
    """Indicator values (GDP, trade, ICT exports, tourists) by country and year.

    \b
    Examples:
      pakaz indicators --country PAK
      pakaz indicators --name gdp --chart
      pakaz indicators -c AZE -f json
    """
    from pakaz import query as q
    from pakaz import views

    out = Output(ctx, fmt, fields, no_header)
    kb = out.settings.kb()
    found = q.indicators(
        kb, countries=country or (), names=name or (), years=year or (), since=since, until=until,
        verification=_verification(verification), limit=limit,
    )  # fmt: skip
    if chart:
        from pakaz.chart import render_chart

        if not found and out.is_tty:
            sys.stderr.write("No indicators match.\n")
        out.show(render_chart(found, out.style()))
        return
    out.records(found, views.indicators, "No indicators match.")


def complete_post(incomplete: str) -> list[str]:
    from pakaz.model import ENVOY_POSTS

    return matching((*ENVOY_POSTS, "pakistan", "azerbaijan"), incomplete)


@app.command()
def envoys(
    ctx: typer.Context,
    post: Annotated[
        list[str] | None,
        typer.Option(
            "--post",
            "-p",
            metavar="POST",
            autocompletion=complete_post,
            help="pak-to-aze (Pakistan's envoy in Baku) or aze-to-pak; also pakistan, azerbaijan (repeatable).",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="Only those in office on DATE (YYYY, YYYY-MM, YYYY-MM-DD or now)."
        ),
    ] = None,
    verification: VerificationOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.auto,
    fields: FieldsOpt = None,
    no_header: NoHeaderOpt = False,
) -> None:
    """Ambassadors and chargés d'affaires of each country in the other, with their terms.

    A term with no end runs until the next holder of the post starts; `seen` is the latest
    date a source shows the holder in office.

    \b
    Examples:
      pakaz envoys
      pakaz envoys --post pakistan --as-of now
      pakaz envoys --as-of 2012 -f json
    """
    from pakaz import query as q
    from pakaz import views

    out = Output(ctx, fmt, fields, no_header)
    kb = out.settings.kb()
    if as_of is not None and as_of.strip().lower() in ("now", "today"):
        import datetime

        as_of = datetime.date.today().isoformat()
    found = q.envoys(kb, posts=post or (), as_of=as_of, verification=_verification(verification), limit=limit)
    out.records(found, views.envoys, "No envoys match.")


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[
        list[str],
        typer.Argument(
            metavar="TEXT...",
            help="Words or a question; case, accents and word forms do not matter, synonyms count.",
        ),
    ],
    verification: VerificationOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.auto,
    fields: FieldsOpt = None,
    no_header: NoHeaderOpt = False,
) -> None:
    """Search every collection at once: records with more of the words first, facts before sources.

    Each hit shows where its words were found. What you type is words, never query syntax.

    \b
    Examples:
      pakaz search turkey summit
      pakaz search when did pakistan recognise azerbaijan
      pakaz search aliyev -f jsonl
      pakaz search lng --verification corrected
    """
    from pakaz import query as q
    from pakaz import views

    out = Output(ctx, fmt, fields, no_header)
    found = q.search(out.settings.kb(), " ".join(text), verification=_verification(verification), limit=limit)
    out.listing(views.hits(found), "Nothing matches.")


@app.command()
def sources(
    ctx: typer.Context,
    source_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[ID]", autocompletion=complete_source, help="Show this source and every record that cites it."
        ),
    ] = None,
    sort: Annotated[
        SourceSort,
        typer.Option(
            "--sort",
            help="publisher (then date), title, published (newest first), cited (most first), id or file (KB order).",
        ),
    ] = SourceSort.publisher,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.auto,
    fields: FieldsOpt = None,
    no_header: NoHeaderOpt = False,
) -> None:
    """The bibliography, with how many records cite each source.

    \b
    Examples:
      pakaz sources
      pakaz sources --sort cited -n 10
      pakaz sources article
      pakaz sources -f csv
    """
    from pakaz import query as q
    from pakaz import views

    out = Output(ctx, fmt, fields, no_header)
    kb = out.settings.kb()
    if source_id is None:
        out.listing(views.sources(_first(q.source_usage(kb, sort.value), limit)), "The KB has no sources.")
        return
    from pakaz.detail import render_detail
    from pakaz.errors import NotFoundError
    from pakaz.model import Source

    record = find_any_case(kb, source_id)
    if not isinstance(record, Source):
        raise NotFoundError(
            f"'{source_id}' is in {q.collection_of(record)}, not a source; try 'pakaz show {source_id}'."
        )
    out.show(render_detail(kb, record, out.fmt, out.style()))


@app.command()
def sectors(
    ctx: typer.Context,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.auto,
    fields: FieldsOpt = None,
    no_header: NoHeaderOpt = False,
) -> None:
    """The sector vocabulary, with aliases and the number of events and agreements in each.

    \b
    Examples:
      pakaz sectors
      pakaz sectors -f json
    """
    from pakaz import query as q
    from pakaz import views

    out = Output(ctx, fmt, fields, no_header)
    out.listing(views.sectors(_first(q.sector_usage(out.settings.kb()), limit)), "The KB has no sectors.")


@app.command()
def errata(
    ctx: typer.Context,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.auto,
    fields: FieldsOpt = None,
    no_header: NoHeaderOpt = False,
) -> None:
    """Where the source article was wrong or unsupported: what it said, what the sources say.

    \b
    Examples:
      pakaz errata
      pakaz errata -f json
    """
    from pakaz import query as q
    from pakaz import views

    out = Output(ctx, fmt, fields, no_header)
    out.listing(views.errata(_first(q.errata(out.settings.kb()), limit)), "The KB records no errata.")


@app.command()
def show(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete_id, help="The id of any record.")],
    fmt: FormatOpt = Format.auto,
) -> None:
    """One record in full, with its sources, verification status and notes.

    \b
    Examples:
      pakaz show aliyev-visit-pakistan-2024
      pakaz show gdp-pak-2023 -f json
    """
    from pakaz.detail import render_detail

    out = Output(ctx, fmt)
    kb = out.settings.kb()
    out.show(render_detail(kb, find_any_case(kb, record_id), out.fmt, out.style()))


def complete_style(incomplete: str) -> list[str]:
    from pakaz.cite import BUILTIN_STYLES, STYLE_ALIASES

    return matching((*BUILTIN_STYLES, *STYLE_ALIASES), incomplete)


@app.command()
def cite(
    ctx: typer.Context,
    record_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ID]...", autocompletion=complete_id, help="Ids of records or sources."),
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every source in the KB.")] = False,
    sector: SectorOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    verification: VerificationOpt = None,
    style: Annotated[
        str,
        typer.Option(
            "--style",
            metavar="STYLE",
            autocompletion=complete_style,
            help="text, bibtex, biblatex or csl-json; or apa, chicago, harvard or any CSL style name "
            "(needs the styles extra).",
        ),
    ] = "text",
) -> None:
    """One bibliography of the sources behind records, each source once, for a paper or a reference manager.

    Give record or source ids, --all, or filters: the filters select events, agreements and
    indicators (with --sector, events and agreements) and cite their sources.

    \b
    Examples:
      pakaz cite gdp-pak-2023
      pakaz cite aliyev-visit-pakistan-2024 lng-framework-agreement-2023 --style bibtex
      pakaz cite --sector energy --since 2023 --style csl-json
      pakaz cite --all --style bibtex > pakaz.bib
      pakaz cite gdp-pak-2023 --style apa
    """
    from pakaz import cite as citations
    from pakaz import query as q
    from pakaz.errors import UsageError

    style = citations.resolve_style(style)
    filtered = bool(sector or since or until or verification)
    if record_ids and (everything or filtered):
        raise UsageError("give ids, --all or filters, not more than one of them; see 'pakaz cite --help'")
    if everything and filtered:
        raise UsageError("--all cites every source; leave out the filters, or --all")
    if not (record_ids or everything or filtered):
        raise UsageError("Missing argument 'ID...': give ids, --all or a filter; see 'pakaz cite --help'")
    kb = _settings(ctx).kb()
    if everything:
        sources = list(kb.sources)
    elif record_ids:
        sources = citations.sources_of(kb, [q.find(kb, record_id) for record_id in record_ids])
    else:
        found = citations.records_matching(
            kb, sectors=sector or (), since=since, until=until, verification=_verification(verification)
        )
        sources = citations.sources_of(kb, found)
    if not sources and _stdout_is_terminal():
        sys.stderr.write("No records match.\n")
    write(citations.cite(sources, style))


@app.command()
def overview(
    ctx: typer.Context,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table (the default, also when piped), json, yaml or markdown.")
    ] = Format.auto,
) -> None:
    """One screen on the relationship: milestones, embassies, agreements by sector, latest events, indicators.

    \b
    Examples:
      pakaz overview
      pakaz overview -f json
    """
    from pakaz.overview import build, render_overview

    if fmt in (Format.tsv, Format.csv):
        # The overview is sections of different shapes, not rows: no honest tsv or csv.
        from pakaz.errors import UsageError

        raise UsageError(
            f"Invalid value for '--format': the overview has no {fmt.value} form; use table, json, jsonl, yaml "
            f"or markdown, or a listing command (pakaz timeline -f {fmt.value})"
        )
    out = Output(ctx, Format.table if fmt is Format.auto else fmt)
    out.show(render_overview(build(out.settings.kb()), out.fmt, out.style()))


@app.command()
def validate(
    ctx: typer.Context,
    path: Annotated[
        str | None, typer.Argument(metavar="[PATH]", help="KB directory (default: --data, or the bundled KB).")
    ] = None,
) -> None:
    """Check a KB directory and report every problem as FILE:LINE: message.

    \b
    Examples:
      pakaz validate
      pakaz validate ./my-kb
    """
    from pathlib import Path

    from pakaz.kb import bundled_dir, check_dir, parse_dir

    if path is not None and not path.strip():
        # `pakaz validate "$KB"` with KB unset must fail, not check the bundled KB and pass.
        from pakaz.errors import UsageError

        raise UsageError("Invalid value for 'PATH': the path is empty; give a KB directory or leave PATH out")
    target = path or _settings(ctx).data
    directory = check_dir(Path(target) if target else bundled_dir())
    kb, problems = parse_dir(directory)
    if kb is None:
        for problem in problems:
            sys.stderr.write(f"{problem}\n")
        summary = f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found in {directory}"
        sys.stderr.write(printable(summary) + "\n")
        raise typer.Exit(ExitCode.ERROR)
    counts = ", ".join(
        f"{len(getattr(kb, c))} {c}"
        for c in ("events", "agreements", "indicators", "envoys", "sources", "sectors", "errata")
    )
    write(printable(f"OK: {directory}: knowledge base {kb.meta.version} ({kb.meta.date}): {counts}") + "\n")


@app.command()
def export(
    ctx: typer.Context,
    path: Annotated[
        str, typer.Argument(metavar="FILE.db", help="The SQLite database to write; an existing one is replaced.")
    ],
    since: SinceOpt = None,
    until: UntilOpt = None,
    sector: SectorOpt = None,
    verification: VerificationOpt = None,
    metadata: Annotated[
        str | None,
        typer.Option(
            "--metadata",
            metavar="FILE",
            help="Where to write the Datasette metadata (default: FILE.metadata.json beside FILE.db); an existing"
            " metadata.json keeps its other databases.",
        ),
    ] = None,
    no_metadata: Annotated[bool, typer.Option("--no-metadata", help="Write the database only.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace FILE.db or the metadata file even if they are not a database and metadata."
        ),
    ] = False,
) -> None:
    """Write the KB to a SQLite database (the one pakaz queries), with Datasette metadata beside it.

    The filters select events and agreements; indicators, sources, sectors and errata are always exported whole.

    \b
    Examples:
      pakaz export pakaz.db
      pakaz export energy.db --sector energy --since 2020
    Publish with: datasette pakaz.db -m pakaz.metadata.json
    """
    from pakaz.export import export as export_kb
    from pakaz.export import shown

    done = export_kb(
        _settings(ctx).kb(), path, since=since, until=until, sectors=sector or (),
        verification=_verification(verification), metadata=metadata, with_metadata=not no_metadata, force=force,
    )  # fmt: skip
    counts = ", ".join(f"{n} {c}" for c, n in done.counts.items())
    sys.stderr.write(printable(f"Wrote {shown(done.database)}: {counts}") + "\n")
    if done.metadata is not None:
        command = f"datasette {_argument(path)} -m {_argument(str(done.metadata))}"
        sys.stderr.write(printable(f"Publish it with: {command}") + "\n")


def _argument(path: str) -> str:
    """A path as a shell argument that no program reads as an option."""
    import shlex

    from pakaz.export import shown

    return shlex.quote(shown(path if not path.startswith("-") else "./" + path))


_GLOBAL_OPTIONS_WITH_VALUE = ("--data", "--color")
_GLOBAL_FLAGS = ("--no-pager",)


def hoist_global_options(argv: list[str]) -> list[str]:
    """`pakaz timeline --color never` as `pakaz --color never timeline`: global options
    are accepted after the command too, as git and gh accept theirs."""
    command = None
    args = iter(enumerate(argv))
    for i, arg in args:
        if arg == "--":
            return argv
        if arg in _GLOBAL_OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            command = i
            break
    if command is None:
        return argv
    before, moved, after = argv[: command + 1], [], []
    rest = argv[command + 1 :]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--":
            after += rest[i:]
            break
        if arg in _GLOBAL_OPTIONS_WITH_VALUE and i + 1 < len(rest):
            moved += rest[i : i + 2]
            i += 2
            continue
        if arg in _GLOBAL_FLAGS or arg.startswith(tuple(f"{o}=" for o in _GLOBAL_OPTIONS_WITH_VALUE)):
            moved.append(arg)
        else:
            after.append(arg)
        i += 1
    return [*argv[:command], *moved, *before[command:], *after]


def requested_command(argv: list[str]) -> str | None:
    """The subcommand named on the command line, if any (skipping global options)."""
    args = iter(argv)
    for arg in args:
        if arg == "--":
            return next(args, None)
        if arg in _GLOBAL_OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _register_only(name: str | None) -> None:
    # Typer turns every registered command into a click command on each run, about
    # 2 ms each; a run that names its command needs only that one. Help without a
    # command, typos (for "did you mean") and completion keep them all.
    if name is None or "_PAKAZ_COMPLETE" in os.environ:
        return
    chosen = [c for c in app.registered_commands if (c.name or c.callback.__name__.replace("_", "-")) == name]  # type: ignore[union-attr]
    if chosen:
        app.registered_commands = chosen


def main() -> None:
    """Console entry point."""
    if sys.stderr is None:  # started with stderr closed (2>&-): errors go nowhere, but must not crash
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:  # started with stdout closed (>&-)
        _error("standard output is closed; redirect it to a file or to /dev/null instead")
        sys.exit(ExitCode.ERROR)
    try:
        _register_only(requested_command(sys.argv[1:]))
        app(prog_name="pakaz")
    except KeyboardInterrupt:  # Ctrl-C outside a command (while starting up)
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        _discard_stdout()
        sys.exit(ExitCode.OK)
