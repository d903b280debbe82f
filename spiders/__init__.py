"""The Scrapy project: settings, items, the news spider and its pipelines.

Crawls always run in a child process (`python -m spiders.run`): Twisted's reactor cannot be
restarted inside one process, and Airflow's `dag.test()` runs every task in one process.
"""
