"""The read-only guard in front of analyst queries."""

from __future__ import annotations

import pytest

from streams.store.sqlguard import QueryRefused, check_read_only, split_statements

ALLOWED = [
    "SELECT count() FROM events FINAL",
    "select tenant_id, count() from events group by tenant_id",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "(SELECT 1) UNION ALL (SELECT 2)",
    "SELECT * FROM kpi_hourly_rollup FINAL WHERE tenant_id = {t:String}",
    "SELECT 'DROP TABLE events; INSERT' AS not_a_statement",
    'SELECT `update`, "set" FROM events',
    "SELECT count() FROM system.tables WHERE database = 'kefu'",
    "SELECT name, type FROM system.columns",
    "SHOW TABLES",
    "SHOW CREATE TABLE events",
    "DESCRIBE TABLE events",
    "EXPLAIN SELECT 1",
    "EXISTS TABLE events",
    "SELECT 1;",
    "SELECT replace(text, 'a', 'b') FROM events -- DROP in a comment",
    "SELECT * REPLACE (upper(text) AS text) FROM events /* ALTER */",
    "SELECT url_path FROM (SELECT 'x' AS url_path)",
]

REFUSED = {
    "INSERT INTO events SELECT * FROM events": "INSERT",
    "ALTER TABLE events DELETE WHERE 1": "ALTER",
    "DROP TABLE events": "DROP",
    "CREATE TABLE x (a Int8) ENGINE = Memory": "CREATE",
    "SYSTEM STOP MERGES": "SYSTEM",
    "KILL QUERY WHERE 1": "KILL",
    "OPTIMIZE TABLE events FINAL": "OPTIMIZE",
    "TRUNCATE TABLE events": "TRUNCATE",
    "ATTACH TABLE events": "ATTACH",
    "DETACH TABLE events": "DETACH",
    "RENAME TABLE events TO e2": "RENAME",
    "GRANT SELECT ON *.* TO x": "GRANT",
    "SET readonly = 0": "SET",
    "DELETE FROM events WHERE 1": "DELETE",
    "SELECT 1; DROP TABLE events": "one statement",
    "SELECT 1; SELECT 2": "one statement",
    "SELECT * FROM file('/etc/passwd', 'LineAsString')": "file()",
    "SELECT file('/etc/passwd')": "file()",
    "SELECT * FROM url('http://example.com/x', 'CSV')": "url()",
    "SELECT * FROM s3('https://bucket/x')": "s3()",
    "SELECT * FROM remote('10.0.0.1', system.users)": "remote()",
    "SELECT * FROM `remoteSecure`('h', db.t)": "remoteSecure()",
    "SELECT * FROM merge('system', '^users$')": "merge()",
    "SELECT * FROM icebergS3('x')": "icebergS3()",
    "SELECT * FROM system.users": "system.users",
    "SELECT * FROM `system`.`grants`": "system.grants",
    "SELECT query FROM system.query_log": "system.query_log",
    "SELECT * FROM system.settings": "system.settings",
    "SHOW GRANTS": "SHOW",
    "SHOW USERS": "SHOW",
    "SHOW CREATE USER default": "SHOW CREATE",
    "SELECT 1 INTO OUTFILE 'x.csv'": "INTO",
    "SELECT 1 FORMAT JSON": "FORMAT",
    "": "empty",
    "   -- nothing\n": "empty",
    "SELECT 'unterminated": "unterminated",
    "SELECT $$x$$": "heredoc",
}


@pytest.mark.parametrize("sql", ALLOWED)
def test_read_only_queries_pass(sql: str) -> None:
    check_read_only(sql)


@pytest.mark.parametrize(("sql", "named"), REFUSED.items())
def test_writes_multi_statements_file_functions_and_secret_tables_are_refused_saying_why(sql: str, named: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        check_read_only(sql)
    assert named.lower() in str(refused.value).lower()


def test_split_statements_ignores_semicolons_in_strings_identifiers_and_comments() -> None:
    script = "CREATE TABLE `a;b` (x String DEFAULT ';') ENGINE = Memory; /* ; */ -- ;\nSELECT 1;\n\n"
    assert split_statements(script) == ["CREATE TABLE `a;b` (x String DEFAULT ';') ENGINE = Memory", "SELECT 1"]
