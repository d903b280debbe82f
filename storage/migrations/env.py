"""Alembic environment: always driven from `storage.migrate`, on the connection it passes in."""

from alembic import context

from storage.migrate import include_name
from storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    include_name=include_name,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
