#!/usr/bin/env python3
"""Checks the Grafana dashboard and the alerting rules against the service.

Run by scripts/lint-deploy.sh. It fails when
- deploy/grafana/catalog.json is not a dashboard Grafana can import: JSON,
  a uid, the ${datasource} and instance variables, and every panel with an id
  of its own, a title, a description, a position and (but rows) a query;
- a query or an alert names a metric the service does not export (the names
  in catalog-http/src), or a route label no route has (route_table.rs);
- a dashboard query is not valid PromQL: each is written, with Grafana's
  variables given sample values, as a recording rule for `promtool check rules`.
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy/grafana/catalog.json"
ALERTS = ROOT / "deploy/prometheus/alerts.yml"
# Series a histogram adds to its name.
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Grafana's variables, replaced by values Prometheus accepts.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$instance": ".*"}


def exported_metrics():
    """The metric names the service registers, from its source."""
    names = set()
    for source in (ROOT / "catalog-http/src").rglob("*.rs"):
        names.update(re.findall(r'"(catalog_[a-z_]+)"', source.read_text()))
    return names


def route_labels():
    """Every route's metrics label, and the one of paths no route matches."""
    table = (ROOT / "catalog-http/src/route_table.rs").read_text()
    labels = set(re.findall(r'^\s*label: "([a-z_]+)",', table, re.M))
    labels.update(re.findall(r'pub const UNMATCHED_LABEL: &str = "([a-z_]+)";', table))
    return labels


def metric_names(expr):
    """The catalog metric names a PromQL expression reads."""
    return set(re.findall(r"\b(catalog_[a-z_]+)\b", expr))


def route_values(expr):
    """The route label values an expression matches on (regex alternatives split)."""
    values = set()
    for matcher in re.findall(r'route\s*(?:=~|!~|=|!=)\s*"([^"]*)"', expr):
        values.update(part for part in matcher.split("|") if part)
    return values


def check_names(where, expr, metrics, labels, problems):
    for name in metric_names(expr):
        base = name
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in metrics:
                base = name[: -len(suffix)]
        if base not in metrics:
            problems.append(f"{where}: {name} is not a metric the service exports")
    for value in route_values(expr):
        if value not in labels:
            problems.append(f"{where}: route \"{value}\" is not a route label")


def dashboard_queries(dashboard, problems):
    """Checks the dashboard's shape; returns (panel title, expr) of every query."""
    if not dashboard.get("uid"):
        problems.append("dashboard: no uid")
    variables = {v.get("name") for v in dashboard.get("templating", {}).get("list", [])}
    for needed in ("datasource", "instance"):
        if needed not in variables:
            problems.append(f"dashboard: no ${needed} variable")
    ids = set()
    queries = []
    for panel in dashboard.get("panels", []):
        title = panel.get("title") or f"panel {panel.get('id')}"
        if not panel.get("title"):
            problems.append(f"dashboard: {title} has no title")
        if panel.get("id") in ids or panel.get("id") is None:
            problems.append(f"dashboard: {title} has no id of its own")
        ids.add(panel.get("id"))
        if "gridPos" not in panel:
            problems.append(f"dashboard: {title} has no gridPos")
        if panel.get("type") == "row":
            continue
        if not panel.get("description"):
            problems.append(f"dashboard: {title} has no description")
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"dashboard: {title} does not read the ${{datasource}} variable")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"dashboard: {title} has no query")
        for target in targets:
            if not target.get("expr"):
                problems.append(f"dashboard: {title} has a query with no expr")
            else:
                queries.append((title, target["expr"]))
    return queries


def promql_valid(queries, problems):
    """Every query through `promtool check rules`, as recording rules."""
    rules = []
    for number, (title, expr) in enumerate(queries):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"dashboard:query_{number}", "expr": expr})
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as file:
        json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, file)
        file.flush()
        checked = subprocess.run(["promtool", "check", "rules", file.name], capture_output=True, text=True)
    if checked.returncode != 0:
        numbered = "\n".join(f"  query_{n}: {title}" for n, (title, _) in enumerate(queries))
        problems.append(f"dashboard: promtool check rules refused a query:\n{checked.stdout}{checked.stderr}{numbered}")


def main():
    problems = []
    metrics, labels = exported_metrics(), route_labels()
    try:
        dashboard = json.loads(DASHBOARD.read_text())
    except json.JSONDecodeError as error:
        sys.exit(f"{DASHBOARD.relative_to(ROOT)}: not JSON: {error}")
    queries = dashboard_queries(dashboard, problems)
    for title, expr in queries:
        check_names(f"dashboard: {title}", expr, metrics, labels, problems)
    check_names(ALERTS.relative_to(ROOT), ALERTS.read_text(), metrics, labels, problems)
    promql_valid(queries, problems)
    if problems:
        sys.exit("\n".join(problems))
    print(f"dashboard: {len(queries)} queries valid, over {len(metrics)} exported metrics; alerts name only exported metrics")


if __name__ == "__main__":
    main()
