"""Every row of every table, to compare a database before and after an upgrade, a backup or a restore."""

from __future__ import annotations

import json

import psycopg2
from psycopg2 import sql

Rows = dict[str, list[dict]]


def table_rows(url: str, *, without: tuple[str, ...] = ()) -> Rows:
    """{table: its rows as dicts, in a stable order} for the tables of the database's schema, except ``without``."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
            tables = [name for (name,) in cur.fetchall() if name not in without]
            found = {}
            for table in tables:
                cur.execute(sql.SQL("SELECT to_jsonb(t) FROM {} AS t").format(sql.Identifier(table)))
                found[table] = sorted(
                    (row for (row,) in cur.fetchall()), key=lambda row: json.dumps(row, sort_keys=True)
                )
            return found
    finally:
        conn.close()


def scalar(url: str, query: str, params: tuple = ()) -> object:
    """The first column of the first row of ``query``."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchone()[0]
    finally:
        conn.close()
