"""Alembic revisions of the central record; run by ``CentralRecord.migrate()``."""
