"""The `newsflow` command line: the same steps the Airflow DAGs run, without Airflow.

`main` builds the parser and dispatches; each group of commands lives in its own module
(`crawl`, `database`, `page`) and registers itself on the parser.
"""

from newsflow.cli.main import main

__all__ = ["main"]
