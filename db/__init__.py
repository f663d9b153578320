"""PostgreSQL plumbing: the pool, transactions, the schema's versions, backups and the embedded server."""

from db.database import Database, DatabaseUnavailable, KeptConnection, Queries, Row

__all__ = ["Database", "DatabaseUnavailable", "KeptConnection", "Queries", "Row"]
