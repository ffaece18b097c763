"""The schema revision the store checks at start-up is alembic's head."""

from __future__ import annotations

from importlib import resources

from alembic.config import Config
from alembic.script import ScriptDirectory

from server.store import EventStore
from server.store.store import SCHEMA_REVISION


def test_schema_revision_constant_is_alembic_head(tmp_path) -> None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("server.store") / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION
    store = EventStore(f"sqlite:///{tmp_path / 'x.db'}")
    assert store.schema_revision() is None
    store.migrate()
    assert store.schema_revision() == SCHEMA_REVISION
    store.migrate()  # at head: a no-op that doesn't load alembic
    store.close()
