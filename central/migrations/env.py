"""Alembic environment of the central record, driven from code by
:meth:`central.record.CentralRecord.migrate` (there is no alembic.ini).

Its revisions are kept in ``central_version``, not ``alembic_version``: the central record is
a database of its own, but a slip that points it at a hall's database must not mix the two
histories.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from central.models import Base

VERSION_TABLE = "central_version"

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("the central record migrates on a connection passed in config.attributes")
    _run(connection)


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
