"""The secret detector (DESIGN §11): what it finds, where, the variable it suggests, and
the ordinary values it must leave alone."""

from __future__ import annotations

import pytest

from mcpstate.secrets.detect import looks_secret, rewrite, scan_args, scan_value, variable

GHP = "ghp_" + "A1b2" * 9
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"


@pytest.mark.parametrize("key", ["API_TOKEN", "apiKey", "X-Api-Key", "Authorization", "DB_PASSWORD",
                                 "DB_PASS", "client_secret", "GITHUB_PERSONAL_ACCESS_TOKEN", "ACCESSTOKEN",
                                 "AUTH", "AuthToken", "SESSION_COOKIE", "AWS_SECRET_ACCESS_KEY", "API_KEYS",
                                 "CREDENTIALS", "token"])
def test_secret_looking_names(key: str) -> None:
    assert looks_secret(key)


@pytest.mark.parametrize("key", ["KEYBOARD_LAYOUT", "MONKEY", "TURKEY_MODE", "AUTHOR", "AUTHOR_NAME",
                                 "CERT_AUTHORITY", "MAX_TOKENS", "API_KEY_FILE", "TOKEN_URL", "SORT_KEY",
                                 "PUBLIC_KEY", "TOKENIZER", "LOG_LEVEL", "MEMORY_FILE_PATH", "PWD",
                                 "AWS_ACCESS_KEY_ID", "no-auth", "PASSING_SCORE"])
def test_ordinary_names(key: str) -> None:
    assert not looks_secret(key)


def spans(value: str, key: str | None = None) -> list[tuple[str, str]]:
    return [(value[f.start:f.end], variable(f, "srv")) for f in scan_value(value, key)]


@pytest.mark.parametrize("value, key, expected", [
    ("hunter2", "DB_PASSWORD", [("hunter2", "SRV_DB_PASSWORD")]),
    ("Bearer abc123", "Authorization", [("abc123", "SRV_TOKEN")]),
    ("postgres://app:pw0rd@db.internal:5432/app", None, [("pw0rd", "SRV_PASSWORD")]),
    ("postgres://app:p@ss@db/app", None, [("p@ss", "SRV_PASSWORD")]),  # to the last @
    ("https://api.example.com/mcp?region=eu&api_key=k-123&sig=abc", None,
     [("k-123", "SRV_API_KEY"), ("abc", "SRV_SIG")]),
    ("https://h/x?access_token=zzzz", None, [("zzzz", "SRV_ACCESS_TOKEN")]),
    (GHP, None, [(GHP, "GITHUB_TOKEN")]),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", None,
     [("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "GITHUB_TOKEN")]),
    ("sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8x", None, [("sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8x", "OPENAI_API_KEY")]),
    ("sk-ant-api03-Ab3dEf6hIj9lMn2pQr5t", None, [("sk-ant-api03-Ab3dEf6hIj9lMn2pQr5t", "ANTHROPIC_API_KEY")]),
    ("sk_live_51Habcdefghij", None, [("sk_live_51Habcdefghij", "STRIPE_SECRET_KEY")]),
    ("xoxb-1234567890-abcdefghij", None, [("xoxb-1234567890-abcdefghij", "SLACK_TOKEN")]),
    ("xoxp-1234567890-abcdefghij", None, [("xoxp-1234567890-abcdefghij", "SLACK_TOKEN")]),
    ("glpat-abcdefghij0123456789", None, [("glpat-abcdefghij0123456789", "GITLAB_TOKEN")]),
    ("AKIAIOSFODNN7EXAMPLE", None, [("AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID")]),
    (JWT, None, [(JWT, "SRV_JWT")]),
    (f"token {GHP} here", None, [(GHP, "GITHUB_TOKEN")]),
    ("${PW:-hunter2}", "DB_PASSWORD", [("${PW:-hunter2}", "PW")]),  # a literal default
    (f"${{GH:-{GHP}}}", None, [(f"${{GH:-{GHP}}}", "GH")]),
])
def test_findings_in_values(value: str, key: str | None, expected: list[tuple[str, str]]) -> None:
    assert spans(value, key) == expected


@pytest.mark.parametrize("value, key", [
    ("${API_TOKEN}", "API_TOKEN"), ("Bearer ${GITHUB_TOKEN}", "Authorization"),
    ("Basic ${USER}:${PASS}", "Authorization"), ("", "API_KEY"), ("/run/secrets/token", "TOKEN"),
    ("postgres://app:${DB_PASSWORD}@db/app", None), ("postgres://app@db/app", None),
    ("https://h/mcp?api_key=${API_KEY}&page=2", None), ("https://h/mcp?page=2&keyboard=us", None),
    ("us", "KEYBOARD_LAYOUT"), ("4096", "MAX_TOKENS"), ("task-manager-sk-1234567890abcdefghij", None),
    ("sk-learn", None), ("scikit-learn-extension-package-name", None), ("AKIAshort", None),
    ("eyJ.not.a.jwt", None), ("https://api.githubcopilot.com/mcp/", None), ("UTC", "TZ"),
    ("${TZ:-UTC}", "TZ"), ("Jane Doe", "AUTHOR"),
])
def test_no_findings_in_ordinary_values(value: str, key: str | None) -> None:
    assert scan_value(value, key) == []


def arg_spans(args: list[str]) -> list[tuple[int, str, str]]:
    return [(i, args[i][f.start:f.end], variable(f, "github")) for i, f in scan_args(args)]


@pytest.mark.parametrize("args, expected", [
    (["--token", "abc123"], [(1, "abc123", "GITHUB_TOKEN")]),
    (["--token=abc123"], [(0, "abc123", "GITHUB_TOKEN")]),
    (["--api-key", "k"], [(1, "k", "GITHUB_API_KEY")]),
    (["--password=pw", "--secret", "s"], [(0, "pw", "GITHUB_PASSWORD"), (2, "s", "GITHUB_SECRET")]),
    (["--auth-token", "t0k"], [(1, "t0k", "GITHUB_AUTH_TOKEN")]),
    (["--header", "Authorization: Bearer xyz"], [(1, "xyz", "GITHUB_TOKEN")]),
    (["--db", "postgres://u:pw@h/db"], [(1, "pw", "GITHUB_PASSWORD")]),
    (["https://h/sse?token=abc"], [(0, "abc", "GITHUB_TOKEN")]),
    (["--verbose", GHP], [(1, GHP, "GITHUB_TOKEN")]),
])
def test_findings_in_args(args: list[str], expected: list[tuple[int, str, str]]) -> None:
    assert arg_spans(args) == expected


@pytest.mark.parametrize("args", [
    ["--token", "${GITHUB_TOKEN}"], ["--token=${GITHUB_TOKEN}"], ["--no-auth", "server.js"],
    ["--auth", "--port", "80"], ["--keyboard", "us"], ["--key", "/etc/ssl/private/server.key"],
    ["--token-file", "/run/secrets/t"], ["--header", "Authorization: Bearer ${T}"],
    ["--local-timezone", "${TZ:-UTC}"], ["-p", "1234"], ["--max-tokens", "4096"],
    ["--header", "X-Trace: on"],
])
def test_no_findings_in_ordinary_args(args: list[str]) -> None:
    assert scan_args(args) == []


def test_rewrite_keeps_all_but_the_secret() -> None:
    value = "postgres://app:pw0rd@db/app?sslmode=require&password=again"
    found = scan_value(value)
    assert rewrite(value, found, lambda f, literal: f"${{{variable(f, 'db')}}}") == \
        "postgres://app:${DB_PASSWORD}@db/app?sslmode=require&password=${DB_PASSWORD}"
    assert rewrite("${PW:-hunter2}", scan_value("${PW:-hunter2}", "DB_PASSWORD"), lambda f, v: "x") == "${PW}"
