"""The pipeline steps as plain functions: the CLI, the Airflow DAGs and the tests all call these.

Each step hands the next one files on disk (WARC archives, then JSON lines of article records),
so any step can be re-run on its own and a failed load loses nothing that was extracted. One
module per step (`crawling`, `extracting`, `loading`), `running` for a whole run, `reports` for
what they say, `progress` for what a person watching them sees.
"""

from extraction.ner_workers import NerWorkerError
from newsflow.pipeline.backfilling import BackfillReport, FileScan, FileTask, backfill
from newsflow.pipeline.crawling import CrawlError, crawl
from newsflow.pipeline.extracting import (
    ExtractError,
    complete_archives,
    extract,
    extraction_bounds,
)
from newsflow.pipeline.loading import NotLoaded, load, read_articles
from newsflow.pipeline.reports import (
    CrawlReport,
    ExtractReport,
    ReextractReport,
    RunSummary,
    SourceQuality,
    new_run_id,
    safe_run_id,
    unreachable_sources,
)
from newsflow.pipeline.running import reextract, run

__all__ = [
    "BackfillReport",
    "FileScan",
    "FileTask",
    "backfill",
    "CrawlError",
    "CrawlReport",
    "ExtractError",
    "ExtractReport",
    "NerWorkerError",
    "NotLoaded",
    "ReextractReport",
    "RunSummary",
    "SourceQuality",
    "complete_archives",
    "crawl",
    "extract",
    "extraction_bounds",
    "load",
    "new_run_id",
    "read_articles",
    "reextract",
    "run",
    "safe_run_id",
    "unreachable_sources",
]
