"""The Airflow adapter: Airflow context in, `newsflow.pipeline` calls, JSON-ready dicts (XCom) out.

One module per job: `params` (the trigger form, the plan and its crawl window), `schedule` (what
DAG files need while being parsed), `tasks` (the task bodies), `anomalies` (when a night is not
fine), `notes` (run notes, failure callbacks, webhook), `report` (the daily report) and
`standalone` (starting Airflow for this project). Airflow itself is imported only inside the
functions that need it, so the rules stay plain functions tests call directly.
"""
