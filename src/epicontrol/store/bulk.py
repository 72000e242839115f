"""Bulk writes of Arrow tables into the operational store.

Millions of persons are written with the fastest path each backend offers,
inside the caller's transaction: ``COPY ... FROM STDIN`` (CSV made by
pyarrow) on PostgreSQL, ``executemany`` in chunks on SQLite.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection

CHUNK_ROWS = 200_000


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def bulk_insert(
    connection: Connection,
    table_name: str,
    table: pa.Table,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Insert every row of ``table`` into ``table_name`` (columns matched by name).

    Returns the number of rows written.  Nothing is committed: the caller's
    transaction decides.  ``on_progress`` receives the number of rows written
    by each chunk.
    """
    if table.num_rows == 0:
        return 0
    columns = ", ".join(_quote(c) for c in table.column_names)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        sql = f"COPY {_quote(table_name)} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER false)"
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        with raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
            for batch in table.to_batches(max_chunksize=CHUNK_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(pa.Table.from_batches([batch]), buffer, write_options=options)
                copy.write(buffer.getvalue())
                if on_progress:
                    on_progress(batch.num_rows)
        return int(table.num_rows)
    placeholders = ", ".join("?" for _ in table.column_names)
    sql = f"INSERT INTO {_quote(table_name)} ({columns}) VALUES ({placeholders})"
    raw_connection = connection.connection.driver_connection
    cursor = raw_connection.cursor()  # type: ignore[union-attr]
    try:
        for batch in table.to_batches(max_chunksize=CHUNK_ROWS):
            cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            cursor.executemany(sql, list(zip(*cols, strict=True)))
            if on_progress:
                on_progress(batch.num_rows)
    finally:
        cursor.close()
    return int(table.num_rows)
