"""``greentic-iac [globals] <noun> <verb> [ENV] [--answers FILE|-] [--schema]``.

A thin shell: parse, load the verb's payload, call its handler, print a JSON envelope
``{"noun", "op", "result"}`` (or a table for a person at a terminal), and map expected
errors to one line and an exit code (2 invalid input, 3 preflight, 4 conflict, 1 other).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from greentic_iac import __version__
from greentic_iac.cli.context import Context, Rendered, parse_payload, read_answers
from greentic_iac.cli.legacy_names import resolve_legacy_names
from greentic_iac.cli.payload_secrets import refuse_secret_values
from greentic_iac.cli.verbs import Verb, verb_table
from greentic_iac.errors import GreenticError

Handler = Callable[[Context, Any], dict[str, Any] | Rendered]

_TYPES: dict[str, Callable[[str], Any]] = {"str": str, "int": int, "float": float}


_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<choices>.*)\)")


class _Parser(argparse.ArgumentParser):
    """Usage errors are invalid input: exit 2 with one line, like every other bad input.

    A verb's ``--help`` gets its example and payload fields, built only when it is asked
    for (they need the payload model, which a running verb may never import)."""

    verb: Verb | None = None
    # The flags of the verbs built (for "unrecognized arguments", reported at the top).
    known_flags: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:
        hint = _suggestion(message) or _flag_suggestion(message, self.known_flags)
        sys.stderr.write(f"{self.prog}: error: {message}{hint}\n")
        raise SystemExit(2)

    def format_help(self) -> str:
        if self.verb is not None and self.epilog is None:
            from greentic_iac.cli.help_text import verb_epilog

            schema = _schema_of(self.verb) if self.verb.payload is not None else None
            self.epilog = verb_epilog(self.verb, schema)
        return super().format_help()


def _suggestion(message: str) -> str:
    """``; did you mean 'list'?`` for a mistyped noun or verb (the nearest by difflib)."""
    match = _INVALID_CHOICE.search(message)
    if match is None:
        return ""
    import difflib

    choices = re.findall(r"'([^']*)'", match["choices"])
    nearest = difflib.get_close_matches(match["given"], choices, n=1, cutoff=0.5)
    return f"; did you mean '{nearest[0]}'?" if nearest else ""


def _known_flags(verbs: Iterable[Verb]) -> frozenset[str]:
    flags = {
        "--home",
        "--store",
        "--output",
        "--wide",
        "--debug",
        "--help",
        "--version",
        "--schema",
    }
    for verb in verbs:
        if verb.mutating:
            flags.add("--answers")
        flags |= {a.name for a in verb.args if a.name.startswith("--") and not a.hidden}
    return frozenset(flags)


def _flag_suggestion(message: str, known: frozenset[str]) -> str:
    """``; did you mean '--output'?`` for the first mistyped flag of the line."""
    if not message.startswith("unrecognized arguments:") or not known:
        return ""
    import difflib

    for word in message.removeprefix("unrecognized arguments:").split():
        if word.startswith("--"):
            flag = word.split("=", 1)[0]
            nearest = difflib.get_close_matches(flag, sorted(known), n=1, cutoff=0.6)
            return f"; did you mean '{nearest[0]}'?" if nearest else ""
    return ""


def _global_flags(suppress: bool) -> _Parser:
    """The flags every level accepts (``env list --output table`` as ``--output table env
    list``, as kubectl's). Below the top they default to SUPPRESS, so a flag given before
    the noun is not reset by the verb's parser."""
    flags = _Parser(add_help=False)
    default: Any = argparse.SUPPRESS if suppress else None
    flags.add_argument(
        "--home", default=default, help="state directory (default: $GREENTIC_HOME or ~/.greentic)"
    )
    flags.add_argument(
        "--store",
        default=default,
        help="store URL, e.g. s3://bucket/prefix (default: $GREENTIC_STORE)",
    )
    flags.add_argument(
        "-o",
        "--output",
        choices=("json", "table"),
        default=default,
        help="json (the envelope; default when piped for result verbs) or table",
    )
    flags.add_argument(
        "--wide",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="tables: extra columns (every id, generations, host/path), as kubectl's -o wide",
    )
    flags.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="show tracebacks",
    )
    return flags


_VALUE_FLAGS = frozenset({"--home", "--store", "-o", "--output"})


def _noun_in(argv: Sequence[str]) -> str | None:
    """The first word that is not a global flag or its value: the noun the line names."""
    words = iter(argv)
    for word in words:
        if word in _VALUE_FLAGS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _noun_summary(verbs: dict[str, Verb]) -> str:
    return "verbs: " + ", ".join(verbs)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with ``argv`` only the named noun's verbs in full (the other
    nouns are placeholders that list in ``--help``): building every verb's parser costs
    more than a read verb's own work."""
    wanted = None if argv is None else _noun_in(argv)
    parser = _Parser(
        prog="greentic-iac",
        description="Environments, revisions and traffic splits, compiled to Pulumi programs.",
        parents=[_global_flags(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"greentic-iac {__version__}")
    below = _global_flags(suppress=True)
    nouns = parser.add_subparsers(dest="noun", metavar="<noun>", parser_class=_Parser)
    # Bare, the program prints its nouns (as a bare noun prints its verbs): see run().
    parser.set_defaults(noun_parser=parser)
    table = verb_table()
    built = table.values() if argv is None else [table.get(wanted or "", {})]
    parser.known_flags = _known_flags(v for verbs in built for v in verbs.values())
    for noun, verbs in table.items():
        if argv is not None and noun != wanted:
            summary = verbs[""].help if set(verbs) == {""} else _noun_summary(verbs)
            nouns.add_parser(noun, help=summary, add_help=False)
            continue
        if set(verbs) == {""}:
            # A top-level verb (``plan ENV``, ``preview ENV``, ``up ENV``): no sub-verb.
            _add_verb(nouns, verbs[""], below)
            continue
        noun_parser = nouns.add_parser(noun, help=_noun_summary(verbs), parents=[below])
        # A bare noun (``greentic-iac env``) prints its verbs: run() sees noun_parser only.
        noun_parser.set_defaults(noun_parser=noun_parser)
        sub = noun_parser.add_subparsers(dest="verb", metavar="<verb>", parser_class=_Parser)
        for verb in verbs.values():
            _add_verb(sub, verb, below)
    return parser


def _add_verb(sub: Any, verb: Verb, below: _Parser) -> None:
    parser = sub.add_parser(
        verb.name or verb.noun, help=verb.help, description=verb.help, parents=[below]
    )
    parser.verb = verb
    parser.set_defaults(verb_spec=verb)
    parser.add_argument(
        "--schema", action="store_true", help="print the payload's JSON Schema and exit"
    )
    if verb.mutating:
        parser.add_argument("--answers", metavar="FILE", help="JSON payload file, or - for stdin")
    for arg in verb.args:
        kwargs: dict[str, Any] = {"help": argparse.SUPPRESS if arg.hidden else arg.help}
        if arg.flag:
            kwargs["action"] = "store_true"
        elif arg.repeat:
            kwargs["action"] = "append"
        else:
            kwargs["type"] = _TYPES[arg.type]
            if arg.choices:
                kwargs["choices"] = arg.choices
        if arg.name.startswith("--"):
            kwargs["default"] = arg.default
            parser.add_argument(arg.name, **kwargs)
        else:
            if arg.nargs:
                kwargs["nargs"] = arg.nargs
                kwargs["default"] = arg.default
            elif not arg.flag:
                # Positional arguments are optional under --schema, checked in run().
                kwargs["nargs"] = "?"
            parser.add_argument(arg.name, **kwargs)


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _schema_of(verb: Verb) -> dict[str, Any]:
    if verb.payload is not None:
        model = _load(verb.payload)
        schema: dict[str, Any] = model.model_json_schema()
        return schema
    from greentic_iac.cli.help_text import flags_schema

    return flags_schema(verb)


def _wants_json(ctx_output: str | None) -> bool:
    if ctx_output is not None:
        return ctx_output == "json"
    return not sys.stdout.isatty()


def _print_result(
    noun: str, op: str, result: dict[str, Any], as_json: bool, *, wide: bool = False
) -> None:
    if as_json:
        envelope = {"noun": noun, "op": op, "result": result}
        sys.stdout.write(json.dumps(envelope, indent=2, sort_keys=False, default=str) + "\n")
        return
    from greentic_iac.cli.tables import print_table

    print_table(noun, op, result, wide=wide)


def _debug_log(exc: BaseException, home: str | None) -> str:
    import tempfile
    import time
    import traceback
    from pathlib import Path

    base = Path(home or os.environ.get("GREENTIC_HOME") or Path("~/.greentic")).expanduser()
    directory = base / "logs"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        directory = Path(tempfile.gettempdir())
    name = f"debug-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
    text = f"greentic-iac {__version__}\nargv: {sys.argv!r}\n\n" + "".join(
        traceback.format_exception(exc)
    )
    # The home may exist and refuse writes: the temporary directory is the fallback.
    for candidate in (directory / name, Path(tempfile.gettempdir()) / name):
        try:
            candidate.write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError:
            continue
        return str(candidate)
    return "(nowhere: no writable log directory)"


def _os_error_line(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    if exc.filename is None:
        return reason
    return f"{exc.filename}: {reason}"


def _printable(line: str) -> str:
    """``line`` with what a terminal or ``str.splitlines`` would break on escaped."""
    if line.isprintable():
        return line
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)


def _print_error(verb: Verb, exc: BaseException, text: str, exit_code: int, as_json: bool) -> None:
    # Only "\n" separates the message from its hint lines; any other line break or control
    # character in a line (a key or value echoed from the input) is escaped in place.
    lines = [_printable(line) for line in text.rstrip("\n").split("\n")]
    message = lines[0] or type(exc).__name__
    sys.stderr.write(f"error: {message}\n")
    if len(lines) > 1:
        sys.stderr.write("\n".join(lines[1:]) + "\n")
    if as_json:
        error = {"type": type(exc).__name__, "message": message, "exit_code": exit_code}
        envelope = {"noun": verb.noun, "op": verb.name or verb.noun, "error": error}
        sys.stdout.write(json.dumps(envelope, indent=2) + "\n")


def run(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 (one return per outcome)
    line = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(line)
    args = parser.parse_args(line)
    if not hasattr(args, "verb_spec"):
        sys.stdout.write(args.noun_parser.format_help())
        return 0
    verb: Verb = args.verb_spec
    as_json = _wants_json(args.output)
    if args.schema:
        sys.stdout.write(json.dumps(_schema_of(verb), indent=2) + "\n")
        return 0
    ctx = Context(
        home=_path(args.home),
        store_url=args.store,
        output="json" if as_json else "table",
        debug=args.debug,
        args=args,
    )
    try:
        for arg in verb.args:
            if (
                not arg.name.startswith("--")
                and arg.nargs is None
                and getattr(args, arg.name) is None
            ):
                parser.error(f"{verb.command}: the argument {arg.name.upper()} is required")
        payload = None
        if verb.payload is not None:
            label, document = _answers(verb, ctx, args)
            document = ctx.resolve_names(label, document)  # shop, shop@3 -> ids, once
            payload = parse_payload(_load(verb.payload), label, document)
            refuse_secret_values(payload)  # every mutating verb, before its handler runs
        payload = resolve_legacy_names(ctx, verb.command, payload)
        result = _run_handler(verb, ctx, payload)
    except GreenticError as exc:
        _print_error(verb, exc, str(exc), exc.exit_code, as_json)
        if args.debug:
            raise
        return exc.exit_code
    except OSError as exc:
        # The machine refused (a read-only or immutable home, a full disk, a file the store
        # needs that is a directory): the caller's environment, not a bug, so one line and
        # exit 1 without a traceback, naming the file.
        if args.debug:
            raise
        _print_error(verb, exc, _os_error_line(exc), 1, as_json)
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:
        if args.debug:
            raise
        path = _debug_log(exc, args.home)
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {exc}\n"
            f"the traceback is in {path}; please attach it to a bug report\n"
        )
        return 1
    return _emit(verb, result, as_json, asked_json=args.output == "json", wide=bool(args.wide))


def _answers(verb: Verb, ctx: Context, args: argparse.Namespace) -> tuple[str, Any]:
    """The payload document: ``--answers``, or a quick form's flags turned into the same."""
    from greentic_iac.cli.quick_forms import traffic_set_document, wants_quick_form

    if wants_quick_form(verb.command, args):
        return "flags", traffic_set_document(ctx, args)
    return read_answers(args.answers)


def _run_handler(verb: Verb, ctx: Context, payload: Any) -> dict[str, Any] | Rendered:
    """The verb's result; a cloud SDK missing from a core install becomes the extra to add."""
    try:
        handler: Handler = _load(verb.handler)
        return handler(ctx, payload)
    except ModuleNotFoundError as exc:
        from greentic_iac.extras import extra_for_module, missing_extra_error

        if exc.name is None or extra_for_module(exc.name) is None:
            raise
        raise missing_extra_error(verb.command, exc.name) from None


def _emit(
    verb: Verb,
    result: dict[str, Any] | Rendered,
    as_json: bool,
    asked_json: bool,
    *,
    wide: bool = False,
) -> int:
    """Results print as the envelope when piped; a document with its own text for a person
    (``doctor secrets``' findings, ``credentials validate``) only when JSON was asked for."""
    op = verb.name or verb.noun
    if not isinstance(result, Rendered):
        _print_result(verb.noun, op, result, as_json, wide=wide)
        return 0
    if result.result is not None and (asked_json or not result.text):
        _print_result(verb.noun, op, result.result, as_json, wide=wide)
    elif result.text:
        sys.stdout.write(result.text if result.text.endswith("\n") else result.text + "\n")
    return result.exit_code


def _path(value: str | None) -> Any:
    from pathlib import Path

    return Path(value).expanduser() if value else None


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
