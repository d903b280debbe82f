"""Initial schema: sources, articles, entities, article versions, crawl state, runs.

The same tables the pre-Alembic `metadata.create_all` made, so such databases are stamped at this
revision and migrated on from here.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(63), sa.ForeignKey("sources.name"), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("published", sa.DateTime(timezone=True)),
        sa.Column("published_source", sa.String(32)),
        sa.Column("modified", sa.DateTime(timezone=True)),
        sa.Column("modified_source", sa.String(32)),
        sa.Column("language", sa.String(16)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("section", sa.Text()),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("image", sa.Text()),
        sa.Column("captions", sa.JSON(), nullable=False),
        sa.Column("extractor", sa.Text(), nullable=False),
        sa.Column("quality_flags", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("simhash", sa.BigInteger()),
        sa.Column("duplicate_of", sa.Integer(), sa.ForeignKey("articles.id", ondelete="SET NULL")),
        sa.Column("fetched_at", sa.DateTime(timezone=True)),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("canonical_url", name="uq_articles_canonical_url"),
    )
    op.create_index("ix_articles_source", "articles", ["source"])
    op.create_index("ix_articles_published", "articles", ["published"])
    op.create_index("ix_articles_duplicate_of", "articles", ["duplicate_of"])
    op.create_table(
        "entities",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("label", sa.String(16), primary_key=True),
        sa.Column("text", sa.Text(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_offset", sa.Integer(), nullable=False),
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True)),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("article_id", "content_hash", name="uq_article_versions_hash"),
    )
    op.create_table(
        "crawl_state",
        sa.Column("source", sa.String(63), primary_key=True),
        sa.Column("url", sa.Text(), primary_key=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_fetched", sa.DateTime(timezone=True)),
        sa.Column("http_status", sa.Integer()),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("listed_published", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("source", sa.String(63), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.UniqueConstraint("run_id", "source", "stage", name="uq_runs_run_source_stage"),
    )


def downgrade() -> None:
    for table in ("runs", "crawl_state", "article_versions", "entities", "articles", "sources"):
        op.drop_table(table)
