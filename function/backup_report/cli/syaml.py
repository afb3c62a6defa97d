"""s.yaml's variables resolved from the shell, offline, as Serverless Devs 3 resolves them before `s deploy`.

Serverless Devs' variables (docs/zh/variables.md of github.com/Serverless-Devs/Serverless-Devs): `${env('NAME')}` is
the deploying shell's variable NAME, `${env('NAME', 'default')}` falls back to the default when NAME is unset, and
`${vars.x}` is the file's `vars:` entry x. An expression that is a whole value takes that value; one inside text
is replaced in it. The other sources (`file()`, `json()`, `path()`, `config()`, `resources.…`, `this.…`) need the
file system or the tool's own state: each is named as a problem, never guessed. `env(NAME)` without quotes (the
form of older Serverless Devs articles) is read, and named too: the expression is JavaScript to Serverless Devs 3,
where only a quoted name is a string. So is what the check cannot read as one expression: a `{` or `}` inside it
(`${env('P', '{}')}`), one inside another, or no closing `}`; Serverless Devs' own scan ends an expression at its
first `}` (parse-spec's REGX, github.com/Serverless-Devs/toolkit packages/parse-spec/src/contants/index.ts), so
such text is not what it looks like. A `vars:` entry naming another (`${vars.home}`) is named too: parse-spec
evaluates `vars:` with the `vars:` as written (ParseContent.getCommonMagic, parse-content.ts of the same package).
A problem quotes an expression with any URL in it cut to its host (a default may be a webhook).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from ..redact import hosts_only

EXPRESSION = re.compile(r"\$\{([^{}]*)\}")
_QUOTED = r"""'([^'\\]*)'|"([^"\\]*)\""""
ENV = re.compile(rf"""env\(\s*(?:{_QUOTED}|([A-Za-z_][A-Za-z0-9_]*))\s*(?:,\s*(?:{_QUOTED})\s*)?\)""")
VARS = re.compile(r"vars((?:\.[A-Za-z_][\w-]*)+)")


@dataclass
class Resolved:
    """`doc`: the document with every expression replaced (an unset variable without a default by ""); `missing`:
    NAME -> where it is read (dotted paths), for each such variable; `problems`: the expressions that could not be
    resolved; `sources`: dotted path -> the variable a whole value came from (`resources.x.props.role` ->
    `FC_ROLE_ARN`); `used`: every variable read, in order."""

    doc: object = None
    missing: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)


def resolve(doc: object, environ: Mapping[str, str]) -> Resolved:
    """`doc` (s.yaml's parsed YAML) with its `vars:` resolved first, then the rest. Never raises for an
    expression: what cannot be resolved is in `problems`."""
    out = Resolved()
    variables = _walk(doc.get("vars") or {}, environ, None, "vars", out) if isinstance(doc, dict) else {}
    if isinstance(doc, dict):
        out.doc = {k: (variables if k == "vars" else _walk(v, environ, variables, str(k), out)) for k, v in doc.items()}
    else:
        out.doc = doc
    return out


def _walk(node: object, environ: Mapping[str, str], variables: Mapping | None, where: str, out: Resolved) -> object:
    """`node` with its expressions resolved; `variables`: the resolved `vars:` (None while `vars:` itself is)."""
    if isinstance(node, dict):
        return {k: _walk(v, environ, variables, f"{where}.{k}", out) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, environ, variables, f"{where}[{i}]", out) for i, v in enumerate(node)]
    if not isinstance(node, str) or "${" not in node:
        return node
    if "${" in EXPRESSION.sub("", node):
        out.problems.append(f"{where}: {_quoted(node.strip())}: the deploy check cannot read this as expressions (a "
                            "{ or } inside one, one inside another, or no closing }): it cannot tell what Serverless "
                            "Devs would make of it; keep braces out of ${…}")
        return ""
    whole = EXPRESSION.fullmatch(node.strip())
    if whole:
        return _value(whole.group(1).strip(), environ, variables, where, out, whole=True)
    return EXPRESSION.sub(lambda m: str(_value(m.group(1).strip(), environ, variables, where, out)), node)


def _value(expression: str, environ: Mapping[str, str], variables: Mapping, where: str, out: Resolved,
           whole: bool = False) -> object:
    env = ENV.fullmatch(expression)
    if env:
        return _env(env, expression, environ, where, out, whole)
    found = VARS.fullmatch(expression)
    if found:
        return _vars(found.group(1)[1:], expression, variables, where, out, whole)
    out.problems.append(f"{where}: {_quoted('${' + expression + '}')}: the deploy check resolves only env('NAME'), "
                        "env('NAME', 'default') and vars.*, offline; it cannot tell what this would be")
    return ""


def _quoted(text: str) -> str:
    """An expression as a problem quotes it: any URL cut to its host, at most 100 characters."""
    text = hosts_only(text)
    return text if len(text) <= 100 else text[:99] + "…"


def _env(env: re.Match, expression: str, environ: Mapping[str, str], where: str, out: Resolved,
         whole: bool) -> str:
    """env('NAME'[, 'default']): the shell's NAME, else the default, else "" (NAME recorded as missing)."""
    single, double, bare, default_single, default_double = env.groups()
    name = single or double or bare
    default = default_single if default_single is not None else default_double
    if bare:
        out.problems.append(f"{where}: ${{{expression}}}: write env('{name}'): Serverless Devs 3 reads the "
                            "expression as JavaScript, where an unquoted name is not a string")
    if name not in out.used:
        out.used.append(name)
    if whole:
        out.sources[where] = name
    if name in environ:
        return environ[name]
    if default is None:
        out.missing.setdefault(name, []).append(where)
        return ""
    return default


def _vars(path: str, expression: str, variables: Mapping | None, where: str, out: Resolved, whole: bool) -> object:
    """vars.a.b: s.yaml's vars: entry, resolved ("" and a problem when there is none, or inside `vars:`)."""
    if variables is None:
        out.problems.append(f"{where}: ${{{expression}}}: a vars: entry naming another, which Serverless Devs reads as "
                            "written in vars:, unresolved; the check cannot tell what it would be: write the "
                            "expression itself here")
        return ""
    value: object = variables
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        out.problems.append(f"{where}: ${{{expression}}}: s.yaml's vars: has no {path}")
        return ""
    if whole and f"vars.{path}" in out.sources:  # ${vars.region} from ${env('REGION', …)}
        out.sources[where] = out.sources[f"vars.{path}"]
    return value
