"""Alembic environment and revisions of the central record."""
