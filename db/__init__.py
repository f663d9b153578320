"""PostgreSQL plumbing: the pool, transactions, the schema and the embedded server."""

from db.database import Database, DatabaseUnavailable, Row

__all__ = ["Database", "DatabaseUnavailable", "Row"]
