"""The "News sources" page inside the Airflow UI: an Airflow 3 plugin (`fastapi_apps` for the
page and its JSON, `external_views` for the navigation entry and a tab on every DAG).

Registered through the `airflow.plugins` entry point (pyproject.toml), so every Airflow process
of this venv loads it. Plugin endpoints are not protected by Airflow: each one depends on
`authenticated` (Airflow's own token check), so a request without a valid session cookie or JWT
gets 401/403 like the rest of the UI.
"""

from __future__ import annotations

import html
import json
from typing import Any

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

URL_PREFIX = "/newsflow"
NIGHTS = 14


# Every Airflow process loads plugins (the DAG processor on each parse): the project's modules are
# imported on the first request, not here.


def board_rows(dag_id: str | None = None) -> list[dict]:
    """The board's rows from the project database (one source's with `dag_id`)."""
    from newsflow.airflow.health import source_health
    from newsflow.settings import load_settings
    from storage import open_database

    settings = load_settings()
    with open_database(settings.database_url) as engine:
        rows = source_health(engine, NIGHTS)
    return [r for r in rows if dag_id in (None, "", r["dag_id"])]


def _latest_report() -> dict | None:
    from newsflow.airflow.report import latest_report
    from newsflow.settings import load_settings

    return latest_report(load_settings().data_dir / "reports")


async def authenticated(request: Request) -> None:
    """Airflow's own check, as its `get_user` does it: the bearer token, else the UI's session
    cookie; 401 without either, 403 for a token that does not verify. Airflow's security module
    is imported here, on the first request: it costs seconds, and every Airflow process (the DAG
    processor's parsing ones too) loads the plugins."""
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
    from airflow.api_fastapi.core_api.security import resolve_user_from_token

    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        await resolve_user_from_token(credentials)
    else:
        await resolve_user_from_token(request.cookies.get(COOKIE_NAME_JWT_TOKEN))


def create_app() -> FastAPI:
    app = FastAPI(title="newsflow sources", dependencies=[Depends(authenticated)])

    @app.get("/api/sources")
    def sources(dag: str | None = None) -> list[dict]:
        return board_rows(dag)

    @app.get("/api/report")
    def report() -> dict:
        return _latest_report() or {}

    @app.get("/", response_class=HTMLResponse)
    def page(dag: str | None = None) -> str:
        rows = board_rows(dag)
        daily = None if dag else _latest_report()
        return render_page(rows, daily)

    return app


def _spark(trend: list[dict], key: str, say: str, width: int = 112, height: int = 22) -> str:
    """A 14-night trend of `key` as an inline SVG, one mark per calendar night, today at the
    right: a night that ran is a dot in the colour of its worst status, on a line that breaks
    where a night has no value; a night without any run is a hollow grey ring on the baseline,
    so "no run" never reads as "ran, 0 new". Each mark's tooltip says the night (`say` formats
    its value)."""
    values = [n[key] for n in trend]
    top = max((v for v in values if v is not None), default=0) or 1
    step = (width - 6) / max(1, len(trend) - 1)
    lines: list[list[str]] = [[]]
    marks = []
    for i, (night, value) in enumerate(zip(trend, values, strict=True)):
        x = 3 + i * step
        if value is None:
            lines.append([])
            if not night["runs"]:
                marks.append(
                    f'<circle class="no-run" cx="{x:.1f}" cy="{height - 3}" r="2.2" fill="#fff" '
                    f'stroke="#9ca3af"><title>{html.escape(night["day"])}: no run</title></circle>'
                )
            continue
        y = height - 3 - (value / top) * (height - 6)
        lines[-1].append(f"{x:.1f},{y:.1f}")
        runs = f" ({night['runs']} runs)" if night["runs"] > 1 else ""
        tip = html.escape(f"{night['day']}: {say.format(value)}, {night['label']}{runs}")
        colour = _COLOURS.get(night["status"], "#dc2626")
        marks.append(
            f'<circle class="ran" cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{colour}">'
            f"<title>{tip}</title></circle>"
        )
    polylines = "".join(
        f'<polyline fill="none" stroke="#3b82f6" stroke-width="1.5" points="{" ".join(xy)}"/>'
        for xy in lines
        if len(xy) > 1
    )
    return f'<svg width="{width}" height="{height}" role="img">{polylines}{"".join(marks)}</svg>'


_COLOURS = {"ok": "#16a34a", "running": "#6b7280", "fewer_articles": "#d97706"}
_COLOURS |= {"quality_jump": "#d97706", "layout_drift": "#d97706"}


def _row(r: dict[str, Any]) -> str:
    e = html.escape
    colour = _COLOURS.get(r["status"], "#dc2626")
    rate = "-" if r["flag_rate"] is None else f"{r['flag_rate']:.0%}"
    reasons = "<br>".join(e(x) for x in r["reasons"]) or "-"
    return (
        f'<tr data-source="{e(r["source"])}" data-status="{e(r["status"])}">'
        f'<td><a href="../{e(r["dag_url"])}" target="_top">{e(r["source"])}</a></td>'
        f'<td><span class="badge" style="background:{colour}">{e(r["label"])}</span></td>'
        f"<td>{r['new']}{_copies(r)}</td><td>{_spark(r['trend'], 'new', '{} new')}</td>"
        f"<td>{r['listed']} / {r['fetched']} / {r['stored']}</td>"
        f"<td>{rate} {_spark(r['trend'], 'flag_rate', '{:.0%} flagged')}</td>"
        f"<td>{reasons}</td>"
        f"<td>{e((r['last_success_at'] or '-')[:16].replace('T', ' '))}</td>"
        f"<td>{_run_link(r)}</td></tr>"
    )


def _copies(r: dict[str, Any]) -> str:
    """How many of the run's stored articles were copies of one stored before (a syndicated
    story, the same page under another address): counted in new, told apart here."""
    if not r["copies"]:
        return ""
    words = "1 copy" if r["copies"] == 1 else f"{r['copies']} copies"
    return f"<br><span class='legend'>{words}</span>"


def _run_link(r: dict[str, Any]) -> str:
    """The last run's Airflow run id, linked to that run's page in the UI; a CLI run has none:
    its pipeline run id, unlinked."""
    if not r["run_url"]:
        return html.escape(r["run_id"] or "-")
    name = html.escape(r["dag_run_id"])
    return f'<a href="../{html.escape(r["run_url"])}" target="_top">{name}</a>'


# Airflow shows the page in an iframe sandboxed without `allow-top-navigation`, so the browser
# refuses a `target="_top"` link clicked inside it. The frame is same-origin (`allow-same-origin`):
# the click is handed to a link made in the parent's document, which is not sandboxed.
_TOP_LINKS = (
    "<script>document.addEventListener('click',function(ev){"
    "var a=ev.target.closest('a[target=_top]');if(!a||window.top===window)return;"
    "try{var d=window.top.document,b=d.createElement('a');b.href=a.href;d.body.appendChild(b);"
    "ev.preventDefault();b.click();b.remove();}catch(e){}});</script>"
)


def render_page(rows: list[dict], daily: dict | None) -> str:
    """The board as one HTML page (no assets, one small script for its links: it renders in the
    UI's iframe)."""
    head = (
        "<tr><th>source</th><th>latest run</th><th>new</th><th>14 nights</th>"
        "<th>listed / fetched / stored</th><th>quality flags</th><th>why</th>"
        "<th>last success (UTC)</th><th>run</th></tr>"
    )
    body = "".join(_row(r) for r in rows) or '<tr><td colspan="9">no runs yet</td></tr>'
    legend = (
        "<p class='legend'>14 nights: one mark per night (the UTC date its runs started), today "
        "at the right; a night's runs are added up, its dot coloured by the worst of them; "
        "<svg width='8' height='8'><circle cx='4' cy='4' r='2.2' fill='#fff' stroke='#9ca3af'/>"
        "</svg> no run that night. The other columns are the latest run's (a night's or one "
        "started by hand), linked under run.</p>"
    )
    failing = "".join(
        f"<li>{html.escape(r['source'])}: {html.escape(r['label'])}</li>"
        for r in rows
        if r["status"] != "ok"
    )
    # the board's own rows (each source's latest run), not the report's day
    report = f"<h3>Failing or blocked now</h3><ul>{failing or '<li>none</li>'}</ul>"
    if daily:
        lines = "".join(
            f"<li>{html.escape(s)}: {daily.get('new', {}).get(s, 0)} new originals, "
            f"{daily.get('copies', {}).get(s, 0)} copies of an article stored before</li>"
            for s in sorted(daily.get("total") or {})
        )
        report += (
            f"<h2>Daily report {html.escape(str(daily.get('day')))}</h2>"
            f"<p class='legend'>Articles first seen that day.</p><ul>{lines}</ul>"
        )
    style = (
        "body{font-family:system-ui,sans-serif;margin:16px;color:#111}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 8px;"
        "text-align:left;font-size:13px;vertical-align:top}"
        ".badge{color:#fff;border-radius:4px;padding:1px 6px;white-space:nowrap}"
        ".legend{font-size:12px;color:#4b5563}svg{vertical-align:middle}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>News sources</title>"
        f"<style>{style}</style></head><body><h1>News sources</h1>"
        f"<table id='sources'>{head}{body}</table>{legend}{report}"
        f"<script type='application/json' id='data'>{html.escape(json.dumps(rows))}</script>"
        f"{_TOP_LINKS}</body></html>"
    )


class NewsflowPlugin(AirflowPlugin):
    name = "newsflow"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "News sources"}]
    external_views = [
        {
            "name": "News sources",
            "href": URL_PREFIX.lstrip("/") + "/",
            "destination": "nav",
            "url_route": "news-sources",
        },
        {
            "name": "Source health",
            "href": URL_PREFIX.lstrip("/") + "/?dag={DAG_ID}",
            "destination": "dag",
            "url_route": "source-health",
        },
    ]
