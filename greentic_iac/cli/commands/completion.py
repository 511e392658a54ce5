"""``completion bash|zsh|fish``: shell completion scripts generated from the verb table.

Neither argcomplete nor shtab is in the lock, and both would cost something: argcomplete
hooks every start-up, shtab is another dependency. The verb table already holds every
noun, verb and flag, so the scripts are written from it here, and a normal start-up pays
nothing. Environment ids are the one dynamic word: the scripts ask
``greentic-iac completion --environments`` (the light ``env list`` path) when a verb's
first argument is an environment id.
"""

from __future__ import annotations

import shlex
from typing import Any

from greentic_iac.cli.context import Context, Rendered
from greentic_iac.cli.verbs import VERBS, Arg, Verb
from greentic_iac.errors import InvalidInputError

PROGRAM = "greentic-iac"
SHELLS = ("bash", "zsh", "fish")
GLOBAL_FLAGS = ("--home", "--store", "-o", "--output", "--wide", "--debug", "--help")
# Flags whose value is a path: the shell completes file names after them.
_PATH_FLAGS = ("--answers", "--out", "--dir", "--home", "--against")


def _export_formats() -> list[str]:
    # What `export --format` accepts for some installed deployer: read when the script is
    # generated (a plug-in installed later shows up at the next `completion` run).
    from greentic_iac.envpacks import EnvPackRegistry
    from greentic_iac.targets import registered_targets

    formats = {"pulumi-python"}
    for target in registered_targets(EnvPackRegistry.discover()):
        formats.update(target.exports)
    return sorted(formats)


_SUGGESTIONS = {"export-formats": _export_formats}


def _values(arg: Arg) -> list[str]:
    """The words completion offers after ``arg``: its choices, or its suggestion source's."""
    if arg.choices:
        return list(arg.choices)
    return _SUGGESTIONS[arg.suggest]() if arg.suggest else []


def _flags(verb: Verb) -> list[str]:
    flags = ["--schema", "--help"]
    if verb.mutating:
        flags.append("--answers")
    flags += [a.name for a in verb.args if a.name.startswith("--") and not a.hidden]
    return flags


def _value_flags(verb: Verb) -> list[Arg]:
    return [a for a in verb.args if a.name.startswith("--") and not a.flag and not a.hidden]


def _all_value_flags() -> list[str]:
    names = {a.name for verb in VERBS for a in _value_flags(verb)}
    return sorted(names | {"--home", "--store", "-o", "--output"})


def _takes_environment(verb: Verb) -> bool:
    return any(a.name == "environment_id" for a in verb.args)


def _key(verb: Verb) -> str:
    return f"{verb.noun}/{verb.name}"


def _words(words: list[str]) -> str:
    return shlex.quote(" ".join(words))


def bash_script() -> str:
    nouns = sorted({v.noun for v in VERBS})
    top_level = sorted(v.noun for v in VERBS if not v.name)
    lines = [
        f"# {PROGRAM} bash completion (generated from the verb table; `{PROGRAM} completion bash`)",
        "_greentic_iac() {",
        "    local cur prev noun='' verb='' key='' positional=0 i word where=()",
        '    cur="${COMP_WORDS[COMP_CWORD]}"',
        '    prev="${COMP_WORDS[COMP_CWORD-1]}"',
        f"    local nouns={_words(nouns)}",
        f"    local top_level={_words(top_level)}",
        f"    local globals={_words(list(GLOBAL_FLAGS))}",
        "    declare -A verbs flags choices",
    ]
    for noun in nouns:
        names = sorted(v.name for v in VERBS if v.noun == noun and v.name)
        if names:
            lines.append(f"    verbs[{noun}]={_words(names)}")
    for verb in VERBS:
        lines.append(f"    flags[{_key(verb)}]={_words(_flags(verb))}")
        for arg in _value_flags(verb):
            values = _values(arg)
            if values:
                lines.append(f"    choices[{_key(verb)}{arg.name}]={_words(values)}")
    env_keys = [_key(v) for v in VERBS if _takes_environment(v)]
    lines += [
        f"    local env_verbs={_words(env_keys)}",
        f"    local value_flags={_words(_all_value_flags())}",
        f"    local path_flags={_words(list(_PATH_FLAGS))}",
        # Walk the words before the cursor: the noun, the verb, and how many positionals.
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        word="${COMP_WORDS[i]}"',
        # --home and --store on the line choose where the environment ids come from.
        '        if [[ "$word" == "--home" || "$word" == "--store" ]]; then '
        'where+=("$word" "${COMP_WORDS[i+1]}"); fi',
        '        if [[ " $value_flags " == *" $word "* ]]; then ((i++)); continue; fi',
        '        [[ "$word" == -* ]] && continue',
        '        if [[ -z "$noun" ]]; then noun="$word"',
        '        elif [[ -z "$verb" && " $top_level " != *" $noun "* ]]; then verb="$word"',
        "        else ((positional++)); fi",
        "    done",
        '    if [[ -n "$noun" && " $top_level " == *" $noun "* ]]; then key="$noun/"; '
        'elif [[ -n "$verb" ]]; then key="$noun/$verb"; fi',
        '    if [[ " $path_flags " == *" $prev "* ]]; then',
        '        COMPREPLY=($(compgen -f -- "$cur")); return 0',
        "    fi",
        '    if [[ "$prev" == "-o" || "$prev" == "--output" ]]; then',
        '        COMPREPLY=($(compgen -W "json table" -- "$cur")); return 0',
        "    fi",
        '    if [[ -n "$key" && -n "${choices[$key$prev]}" ]]; then',
        '        COMPREPLY=($(compgen -W "${choices[$key$prev]}" -- "$cur")); return 0',
        "    fi",
        '    if [[ " $value_flags " == *" $prev "* ]]; then COMPREPLY=(); return 0; fi',
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=($(compgen -W "${flags[$key]} $globals" -- "$cur")); return 0',
        "    fi",
        '    if [[ -z "$noun" ]]; then',
        '        COMPREPLY=($(compgen -W "$nouns" -- "$cur")); return 0',
        "    fi",
        '    if [[ -z "$key" ]]; then',
        '        COMPREPLY=($(compgen -W "${verbs[$noun]}" -- "$cur")); return 0',
        "    fi",
        '    if [[ $positional -eq 0 && " $env_verbs " == *" $key "* ]]; then',
        f'        COMPREPLY=($(compgen -W "$({PROGRAM} "${{where[@]}}" completion --environments '
        '2>/dev/null)" '
        '-- "$cur")); return 0',
        "    fi",
        "    COMPREPLY=()",
        "}",
        f"complete -o default -F _greentic_iac {PROGRAM}",
    ]
    return "\n".join(lines) + "\n"


def zsh_script() -> str:
    # zsh runs the bash function through bashcompinit: one generator, the same answers.
    return f"#compdef {PROGRAM}\nautoload -U +X bashcompinit && bashcompinit\n" + bash_script()


def fish_script() -> str:
    lines = [f"# {PROGRAM} fish completion (generated; `{PROGRAM} completion fish`)"]
    lines.append(f"complete -c {PROGRAM} -f")
    for flag in ("--home", "--store", "--output"):
        lines.append(f"complete -c {PROGRAM} -l {flag[2:]} -r")
    lines.append(f"complete -c {PROGRAM} -s o -a 'json table' -r")
    nouns = sorted({v.noun for v in VERBS})
    for noun in nouns:
        lines.append(f"complete -c {PROGRAM} -n __fish_use_subcommand -a {noun}")
    for verb in VERBS:
        if verb.name:
            condition = (
                f"'__fish_seen_subcommand_from {verb.noun}; and not __fish_seen_subcommand_from "
                + " ".join(v.name for v in VERBS if v.noun == verb.noun and v.name)
                + "'"
            )
            lines.append(
                f"complete -c {PROGRAM} -n {condition} -a {verb.name} -d {shlex.quote(verb.help)}"
            )
        seen = f"'__fish_seen_subcommand_from {verb.noun}"
        seen += f"; and __fish_seen_subcommand_from {verb.name}'" if verb.name else "'"
        for flag in _flags(verb):
            arg = next((a for a in verb.args if a.name == flag), None)
            options = f"-l {flag[2:]}"
            if arg is not None and not arg.flag:
                options += " -r"
                values = _values(arg)
                if values:
                    options += f" -a {shlex.quote(' '.join(values))}"
            if flag in _PATH_FLAGS:
                options += " -F"
            lines.append(f"complete -c {PROGRAM} -n {seen} {options}")
        if _takes_environment(verb):
            lines.append(
                f"complete -c {PROGRAM} -n {seen} -a '({PROGRAM} completion --environments)'"
            )
    return "\n".join(lines) + "\n"


def environment_ids(ctx: Context) -> list[str]:
    """The ids completion offers; an unreadable store offers none rather than an error."""
    from greentic_iac.store.reading import environment_summaries

    try:
        summaries: list[dict[str, Any]] = environment_summaries(ctx.store_url, ctx.home)
    except Exception:  # completion must never print a traceback into a shell prompt
        return []
    return [str(s["environment_id"]) for s in summaries if s.get("environment_id")]


def completion(ctx: Context, _: None) -> Rendered:
    if ctx.args.environments:
        return Rendered("\n".join(environment_ids(ctx)))
    shell = ctx.args.shell
    if shell not in SHELLS:
        raise InvalidInputError(f"shell: name one of {', '.join(SHELLS)} (got {shell!r})")
    script = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}[shell]()
    return Rendered(script)
