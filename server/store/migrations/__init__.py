"""Alembic environment and revisions of the store; run by ``EventStore.migrate()``."""
