"""Read-only SQL for analysts: a lexer-level guard in front of ClickHouse's own ``readonly=1``.

The store also runs every analyst query with the ClickHouse setting ``readonly=1`` (the engine refuses writes,
DDL and setting changes); this guard refuses earlier, with a message that says why, and also what ``readonly``
lets through: table functions that read files, URLs or other servers (``file()``, ``url()``, ``s3()``,
``remote()``...) and system tables that hold secrets or other people's queries.

>>> check_read_only("SELECT count() FROM events WHERE tenant_id = 'acme; DROP TABLE events'")
>>> try:
...     check_read_only("DROP TABLE events")
... except QueryRefused as refused:
...     print(refused)
only SELECT, WITH, SHOW, DESCRIBE, EXPLAIN and EXISTS queries are allowed; this one starts with DROP
>>> split_statements("CREATE TABLE a (x String DEFAULT ';'); -- done;\\nSELECT 1")
["CREATE TABLE a (x String DEFAULT ';')", 'SELECT 1']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALLOWED_FIRST = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS"})
FORBIDDEN_KEYWORDS = frozenset(
    {
        "INSERT", "ALTER", "DROP", "CREATE", "SYSTEM", "KILL", "OPTIMIZE", "TRUNCATE", "ATTACH", "DETACH",
        "RENAME", "GRANT", "REVOKE", "SET", "DELETE", "UPDATE", "EXCHANGE", "UNDROP", "BACKUP", "RESTORE",
        "USE", "INTO", "OUTFILE", "MOVE", "CHECK",
    }
)  # fmt: skip
#: Table functions (and the scalar ``file()``) that reach files, URLs, object stores, other servers or databases.
FORBIDDEN_FUNCTIONS = frozenset(
    {
        "file", "filecluster", "url", "urlcluster", "s3", "s3cluster", "gcs", "oss", "cosn", "hdfs", "hdfscluster",
        "remote", "remotesecure", "cluster", "clusterallreplicas", "mysql", "postgresql", "mongodb", "redis",
        "sqlite", "jdbc", "odbc", "executable", "input", "merge", "loop", "mergetreeindex", "mergetreeprojection",
        "ytsaurus", "arrowflight", "prometheusquery", "prometheusqueryrange", "timeseriesdata", "timeseriestags",
        "timeseriesmetrics", "dictionary", "getserversetting", "gethttpheader",
    }
)  # fmt: skip
FORBIDDEN_FUNCTION_PREFIXES = ("iceberg", "deltalake", "hudi", "paimon", "azure", "hdfs", "s3")
#: System tables an analyst may read; the others hold users, grants, settings, queries or cluster addresses.
ALLOWED_SYSTEM_TABLES = frozenset(
    {"tables", "columns", "databases", "parts", "numbers", "numbers_mt", "one", "zeros", "functions",
     "data_type_families", "table_functions", "formats", "time_zones"}
)  # fmt: skip
ALLOWED_SHOW = frozenset({"TABLES", "DATABASES", "COLUMNS", "CREATE", "DICTIONARIES", "FULL"})
SHOW_CREATE_OBJECTS = frozenset({"TABLE", "VIEW", "DATABASE", "DICTIONARY"})


class QueryRefused(ValueError):
    """The query is not a single read-only statement the store lets analysts run; the message says why."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # word, quoted (identifier), string, number, punct, semicolon
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper()

    @property
    def name(self) -> str:
        """Identifier value: the word, or a quoted identifier without its quotes."""
        return self.text[1:-1] if self.kind == "quoted" else self.text


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_NUMBER = re.compile(r"(?:0[xX][0-9A-Fa-f]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+)")


def _quoted_end(sql: str, start: int, quote: str) -> int:
    """Index after the closing quote of the literal starting at ``start`` (backslash escapes, doubled quotes)."""
    i = start + 1
    while i < len(sql):
        char = sql[i]
        if char == "\\":
            i += 2
            continue
        if char == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    raise QueryRefused(f"unterminated {quote} quote starting at character {start + 1}")


def tokenize(sql: str) -> list[Token]:
    """ClickHouse tokens without whitespace and comments (``--``, ``#``, ``/* */`` nested)."""
    tokens: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char.isspace():
            i += 1
        elif sql.startswith("--", i) or char == "#":
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            depth, j = 1, i + 2
            while depth and j < n:
                if sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                raise QueryRefused("unterminated /* comment")
            i = j
        elif char in "'\"`":
            end = _quoted_end(sql, i, char)
            tokens.append(Token("string" if char == "'" else "quoted", sql[i:end], i, end))
            i = end
        elif char == "$":
            raise QueryRefused("heredoc strings ($...$) are not accepted here; use '...' strings")
        elif char == ";":
            tokens.append(Token("semicolon", char, i, i + 1))
            i += 1
        elif (word := _WORD.match(sql, i)) is not None:
            tokens.append(Token("word", word.group(), i, word.end()))
            i = word.end()
        elif char.isdigit() or (char == "." and i + 1 < n and sql[i + 1].isdigit()):
            number = _NUMBER.match(sql, i)
            end = number.end() if number else i + 1
            tokens.append(Token("number", sql[i:end], i, end))
            i = end
        else:
            tokens.append(Token("punct", char, i, i + 1))
            i += 1
    return tokens


def split_statements(sql: str) -> list[str]:
    """Statements of a script separated by ``;`` outside strings and comments (for migration files)."""
    statements: list[str] = []
    start: int | None = None
    for token in tokenize(sql):
        if token.kind == "semicolon":
            if start is not None:
                statements.append(sql[start : token.start].strip())
            start = None
        elif start is None:
            start = token.start
    if start is not None:
        statements.append(sql[start:].strip())
    return statements


def _function_refused(name: str) -> bool:
    lowered = name.lower()
    return lowered in FORBIDDEN_FUNCTIONS or lowered.startswith(FORBIDDEN_FUNCTION_PREFIXES)


def check_read_only(sql: str) -> None:
    """Raise QueryRefused unless ``sql`` is one read-only statement that touches only what analysts may read."""
    tokens = tokenize(sql)
    while tokens and tokens[-1].kind == "semicolon":
        tokens.pop()
    if not tokens:
        raise QueryRefused("empty query")
    if any(t.kind == "semicolon" for t in tokens):
        raise QueryRefused("one statement at a time: the query contains ';' between statements")
    first = next((t for t in tokens if t.text != "("), tokens[0])
    if first.kind != "word" or first.upper not in ALLOWED_FIRST:
        raise QueryRefused(
            "only SELECT, WITH, SHOW, DESCRIBE, EXPLAIN and EXISTS queries are allowed; "
            f"this one starts with {first.text[:30]}"
        )
    if first.upper == "SHOW":
        _check_show(tokens[tokens.index(first) + 1 :])
        return  # SHOW CREATE TABLE: CREATE is part of the statement's name
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        database_name = following is not None and following.text == "."  # system.tables is a table, not SYSTEM
        if token.kind == "word" and token.upper in FORBIDDEN_KEYWORDS and not database_name:
            raise QueryRefused(
                f"{token.upper} is not allowed: the store is read-only for queries "
                "(quote a column of that name with backticks)"
            )
        if token.kind == "word" and token.upper == "FORMAT" and (following is None or following.kind == "word"):
            raise QueryRefused("a FORMAT clause is not allowed here; choose the output with --format")
        named = token.kind in ("word", "quoted")
        if named and following is not None and following.text == "(" and _function_refused(token.name):
            raise QueryRefused(f"{token.name}() is not allowed: it reads files, URLs or other servers")
        if named and token.name.lower() == "system" and database_name and i + 2 < len(tokens):
            table = tokens[i + 2].name.lower()
            if table not in ALLOWED_SYSTEM_TABLES:
                raise QueryRefused(
                    f"system.{table} is not readable here (allowed: {', '.join(sorted(ALLOWED_SYSTEM_TABLES))})"
                )


def _check_show(rest: list[Token]) -> None:
    words = [t.upper for t in rest[:2] if t.kind == "word"]
    if not words or words[0] not in ALLOWED_SHOW:
        raise QueryRefused("only SHOW TABLES, SHOW DATABASES, SHOW COLUMNS and SHOW CREATE TABLE are allowed")
    if words[0] == "CREATE" and (len(words) < 2 or words[1] not in SHOW_CREATE_OBJECTS):
        raise QueryRefused("only SHOW CREATE TABLE / VIEW / DATABASE / DICTIONARY are allowed")
