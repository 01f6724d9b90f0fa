"""Literal secrets in lockfile and client-config values (DESIGN §11), found by where
they stand: under a secret-looking key, after a secret-looking flag, as a URL's
password or a query parameter named like a secret, in an `Authorization: ...` header
line; or by what they are: a well-known token format. `validate` refuses each finding
and `import` rewrites it into a `${VAR}` reference; both read the findings from here.

A value that holds only references (`${API_TOKEN}`, `Bearer ${GITHUB_TOKEN}`) is no
secret: its value lives in the environment. A reference with a literal default is one,
under a secret's name: the default would put the secret in the lockfile."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

from mcpstate.secrets.references import REFERENCE

# words of a key, flag or parameter name that make its value a secret ("AUTH..." below)
SECRET_WORDS = frozenset({"TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "PASS",
                          "CREDENTIAL", "CREDS", "COOKIE", "APIKEY", "PAT", "JWT"})
# glued words: `APIKEY`, `ACCESSTOKEN`, `CLIENTSECRET` (a bare ...KEY suffix would take MONKEY)
SECRET_SUFFIXES = ("TOKEN", "SECRET", "PASSWORD", "APIKEY", "ACCESSKEY", "SECRETKEY", "PRIVATEKEY")
# a last word that names something about a secret, not the secret: API_KEY_FILE, TOKEN_URL
NAMING_TAILS = frozenset({"FILE", "PATH", "DIR", "URL", "URI", "ENDPOINT", "HOST", "PORT", "ID",
                          "NAME", "HEADER", "TYPE", "KIND", "ENV", "VAR", "LENGTH", "TTL", "EXPIRY",
                          "TIMEOUT", "LIMIT", "COUNT", "SIZE", "ENABLED", "DISABLED", "MODE",
                          "FORMAT", "PREFIX", "REGION", "SCOPE", "SCOPES", "USER", "USERNAME"})
# a word before that makes it no secret: MAX_TOKENS, SORT_KEY, PUBLIC_KEY, --no-auth
QUALIFIERS = frozenset({"MAX", "MIN", "NUM", "PUBLIC", "SORT", "PARTITION", "PRIMARY", "FOREIGN",
                        "CACHE", "ROUTING", "NO", "DISABLE", "ENABLE", "SKIP", "WITHOUT", "REQUIRE", "USE"})
QUERY_WORDS = frozenset({"SIG", "SIGNATURE", "PWD"})  # secret only as a URL's ?sig=, ?pwd=
AUTH_SCHEME = re.compile(r"(?:Bearer|Basic|Token|Digest)\s+", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_PATH_LIKE = re.compile(r"(?:/|\./|\.\./|~/|[A-Za-z]:\\)")
_FLAG = re.compile(r"--?([A-Za-z][A-Za-z0-9_.-]*)(?:=(.*))?\Z", re.DOTALL)
_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:(?P<pw>[^\s/?#]*)@")
_QUERY = re.compile(r"[?&](?P<name>[^=&#\s]+)=(?P<value>[^&#\s]*)")
_HEADER_LINE = re.compile(r"\s*(?P<name>[A-Za-z0-9-]+)\s*:\s*(?P<value>.*?)\s*\Z", re.DOTALL)
# not inside a word: task-sk-..., but after a reference's `:-` default marker
_EDGE_L, _EDGE_R = r"(?<![A-Za-z0-9_])(?<![A-Za-z0-9_]-)", r"(?![A-Za-z0-9_-])"
# (pattern, the variable it suggests, or None: named after the server); the first that
# matches at a place wins (sk-ant- before sk-)
TOKEN_FORMATS: tuple[tuple[str, str | None], ...] = (
    (r"gh[pousr]_[A-Za-z0-9]{30,}", "GITHUB_TOKEN"),
    (r"github_pat_[A-Za-z0-9_]{20,}", "GITHUB_TOKEN"),
    (r"glpat-[A-Za-z0-9_-]{20,}", "GITLAB_TOKEN"),
    (r"sk-ant-[A-Za-z0-9_-]{20,}", "ANTHROPIC_API_KEY"),
    (r"sk-(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}", "OPENAI_API_KEY"),
    (r"[sr]k_(?:live|test)_[A-Za-z0-9]{10,}", "STRIPE_SECRET_KEY"),
    (r"xox[abprs]-[A-Za-z0-9-]{10,}", "SLACK_TOKEN"),
    (r"(?:AKIA|ASIA)[A-Z0-9]{16}", "AWS_ACCESS_KEY_ID"),
    (r"AIza[A-Za-z0-9_-]{35}", "GOOGLE_API_KEY"),
    (r"npm_[A-Za-z0-9]{36}", "NPM_TOKEN"),
    (r"pypi-AgE[A-Za-z0-9_-]{50,}", "PYPI_TOKEN"),
    (r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", None),
)
# one pass over a value for every format: validate scans every value of the lockfile
_TOKENS = re.compile(_EDGE_L + "(?:" + "|".join(f"(?P<t{i}>{p})" for i, (p, _) in enumerate(TOKEN_FORMATS))
                     + ")" + _EDGE_R)


class Finding(NamedTuple):
    """A literal secret at value[start:end]. `hint` is the variable to hold it, named
    after the server too when `prefix`; `default` marks a reference whose literal
    default is the secret (the fix is to drop the default)."""

    start: int
    end: int
    hint: str
    why: str
    prefix: bool = True
    default: bool = False


def words(name: str) -> list[str]:
    return [w.upper() for w in _WORD_SPLIT.split(name) if w]


@lru_cache(maxsize=1024)
def looks_secret(key: str) -> bool:
    """Whether a key, flag or parameter name says its value is a secret: one of its
    words is (`API_TOKEN`, `apiKey`, `X-Auth-Token`), not `KEYBOARD_LAYOUT`, `MONKEY`,
    `AUTHOR`, `MAX_TOKENS` or `API_KEY_FILE`."""
    parts = words(key)
    if not parts or parts[-1] in NAMING_TAILS:
        return False
    return any(_secret_word(w) and not (i and parts[i - 1] in QUALIFIERS) for i, w in enumerate(parts))


def _secret_word(word: str) -> bool:
    singular = word[:-1] if word.endswith("S") else word
    if word in SECRET_WORDS or singular in SECRET_WORDS or word.endswith(SECRET_SUFFIXES):
        return True
    return word.startswith("AUTH") and (not word.startswith("AUTHOR") or word.startswith("AUTHORIZ"))


def env_name(key: str) -> str:
    """`apiToken` -> `API_TOKEN`: the variable name a secret key suggests."""
    return "_".join(words(key)) or "SECRET"


def variable(finding: Finding, server: str) -> str:
    """The variable a finding suggests: `--token` of server github is GITHUB_TOKEN."""
    own = env_name(server)
    if not finding.prefix or finding.hint == own or finding.hint.startswith(own + "_"):
        return finding.hint
    return f"{own}_{finding.hint}"


def scan_value(value: str, key: str | None = None, key_prefix: bool = True) -> list[Finding]:
    """The literal secrets of one value (an env or header value under `key`, a url)."""
    if _only_a_reference(value):
        return []
    found: list[Finding] = []
    if key is not None and looks_secret(key):
        hint = "TOKEN" if key.lower() in ("authorization", "proxy-authorization") else env_name(key)
        found += _whole(value, _scheme_end(value), hint, f"the value of {key}", key_prefix)
    return _merge(found, _by_shape(value))


def scan_args(args: Sequence[str]) -> list[tuple[int, Finding]]:
    """The literal secrets of a command line, each with the index of its argument."""
    found: list[tuple[int, Finding]] = []
    for i, arg in enumerate(args):
        if _only_a_reference(arg):
            continue
        own = _flag_value(arg)
        if own is None and i:
            own = _after_flag(args[i - 1], arg)
        found += [(i, f) for f in _merge(own or [], _by_shape(arg))]
    return found


def _only_a_reference(value: str) -> bool:
    """`${VAR}`: the common case, settled before any rule runs."""
    whole = REFERENCE.fullmatch(value) if value.startswith("${") else None
    return whole is not None and not whole.group(2)


def _flag_value(arg: str) -> list[Finding] | None:
    """`--token=VALUE`: the value's findings; None when the arg is no such flag."""
    flag = _FLAG.match(arg) if arg.startswith("-") else None
    if flag is None or flag.group(2) is None or not looks_secret(flag.group(1)):
        return None
    start = flag.start(2) + _scheme_end(flag.group(2))
    return _whole(arg, start, env_name(flag.group(1)), f"the value of --{flag.group(1)}")


def _after_flag(previous: str, arg: str) -> list[Finding] | None:
    """The argument after `--token`: a secret, unless it is another flag."""
    flag = _FLAG.match(previous) if previous.startswith("-") else None
    if flag is None or flag.group(2) is not None or not looks_secret(flag.group(1)) or arg.startswith("-"):
        return None
    return _whole(arg, _scheme_end(arg), env_name(flag.group(1)), f"the value after --{flag.group(1)}")


def _scheme_end(value: str) -> int:
    scheme = AUTH_SCHEME.match(value)
    return scheme.end() if scheme else 0


def _whole(value: str, start: int, hint: str, why: str, prefix: bool = True) -> list[Finding]:
    """value[start:] as one secret, unless it is empty, a path, or only references."""
    part = value[start:]
    if not part.strip() or _PATH_LIKE.match(part):
        return []
    return _literal(part, start, hint, why, prefix)


def _literal(part: str, start: int, hint: str, why: str, prefix: bool = True) -> list[Finding]:
    refs = list(REFERENCE.finditer(part)) if "${" in part else []
    if refs and not _ALNUM.search(REFERENCE.sub("", part)):
        return [Finding(start + r.start(), start + r.end(), r.group(1), why, False, True)
                for r in refs if r.group(2)]  # an empty default leaks nothing
    return [Finding(start, start + len(part), hint, why, prefix)]


def _by_shape(value: str) -> list[Finding]:
    """What the value's own shape gives away, wherever it stands."""
    found = list(_header_line(value)) if ":" in value else []
    if "://" in value:
        found = _merge(found, [*_userinfo(value), *_query(value)])
    return _merge(found, list(_tokens(value)))


def _header_line(value: str) -> Iterator[Finding]:
    """`Authorization: Bearer xyz`, as `mcp-remote --header` takes it."""
    line = None if "://" in value else _HEADER_LINE.match(value)
    if line is None or not looks_secret(line.group("name")):
        return
    start = line.start("value")
    start += _scheme_end(line.group("value"))
    name = line.group("name")
    hint = "TOKEN" if name.lower() == "authorization" else env_name(name)
    if value[start:line.end("value")].strip():
        yield from _literal(value[start:line.end("value")], start, hint, f"the {name} header")


def _userinfo(value: str) -> Iterator[Finding]:
    for match in _USERINFO.finditer(value):
        if match.group("pw"):
            yield from _literal(match.group("pw"), match.start("pw"), "PASSWORD", "a password in a URL")


def _query(value: str) -> Iterator[Finding]:
    for match in _QUERY.finditer(value):
        name = match.group("name")
        if match.group("value") and (looks_secret(name) or set(words(name)) & QUERY_WORDS):
            yield from _literal(match.group("value"), match.start("value"), env_name(name),
                                f"the URL query parameter {name}")


def _tokens(value: str) -> Iterator[Finding]:
    refs = [(r.start(), r.end(), r.group(1)) for r in REFERENCE.finditer(value)] if "${" in value else []
    for match in _TOKENS.finditer(value):
        inside = [r for r in refs if r[0] <= match.start() < r[1]]
        if inside:  # in a reference's default: drop the default
            yield Finding(inside[0][0], inside[0][1], inside[0][2], "a token in a default", False, True)
        else:
            name = TOKEN_FORMATS[int(str(match.lastgroup)[1:])][1]
            yield Finding(match.start(), match.end(), name or "JWT", "a well-known token format", name is None)


def _merge(first: list[Finding], more: list[Finding]) -> list[Finding]:
    """`first`, then those of `more` that overlap nothing already found; in order."""
    if not more:  # the common case, on every ordinary value
        return first
    kept = list(first)
    for f in more:
        if not any(f.start < k.end and k.start < f.end for k in kept):
            kept.append(f)
    return sorted(kept)


Referencer = Callable[[Finding, str], str]  # (finding, the literal) -> `${VAR}`


def rewrite(value: str, findings: Sequence[Finding], reference: Referencer) -> str:
    """The value with each finding replaced: a literal by the reference `reference`
    returns for it, a literal default by its reference without the default."""
    out, last = [], 0
    for f in sorted(findings):
        out.append(value[last:f.start])
        out.append(f"${{{f.hint}}}" if f.default else reference(f, value[f.start:f.end]))
        last = f.end
    return "".join(out) + value[last:]

