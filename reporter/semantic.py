"""The semantic layer: dimensions and metrics as declared in dbt YAML, compiled by MetricFlow.

The reporter never restates a metric in Python. It asks MetricFlow for the SQL of the simple
metrics it needs, grouped by the dimensions it needs, and computes ratio metrics from their
numerator and denominator exactly as the YAML declares them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from . import project

ENTITY = "event"
TIME_GRAINS = {"day": "metric_time__day", "week": "metric_time__week", "month": "metric_time__month"}


class SemanticLayerMissing(Exception):
    """No semantic manifest: the project has not been built (or parsed) yet."""


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str                      # "simple" or "ratio"
    numerator: str | None = None   # ratio metrics: simple metric names
    denominator: str | None = None


def _manifest_json_without_database(text: str) -> str:
    """The manifest with each relation named by schema and table only.

    dbt writes the database the project was parsed against (for DuckDB, the file's name), but
    the reporter may read another database file built from the same project.
    """
    manifest = json.loads(text)
    for semantic_model in manifest.get("semantic_models", []):
        relation = semantic_model["node_relation"]
        relation["database"] = None
        relation["relation_name"] = ".".join(relation["relation_name"].split(".")[-2:])
    return json.dumps(manifest)


class SemanticLayer:
    def __init__(self, engine_name: str, manifest_path: Path | None = None):
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        manifest_path = manifest_path or project.target_dir() / "semantic_manifest.json"
        if not manifest_path.is_file():
            raise SemanticLayerMissing(
                f"no semantic manifest at {manifest_path}: run `p402-monitor build` first"
            )
        try:
            manifest = parse_manifest_from_dbt_generated_manifest(
                _manifest_json_without_database(manifest_path.read_text(encoding="utf-8"))
            )
        except (ValueError, KeyError, TypeError) as error:  # JSON or pydantic errors are ValueErrors
            raise SemanticLayerMissing(
                f"the semantic manifest at {manifest_path} cannot be read ({type(error).__name__}): "
                "run `p402-monitor build` again"
            ) from None
        self._manifest = manifest
        self._engine = MetricFlowEngine(
            semantic_manifest_lookup=SemanticManifestLookup(manifest),
            sql_client=_ExplainOnlyClient(engine_name),
        )

    def dimensions(self) -> dict[str, str]:
        """Public dimension name -> MetricFlow group-by name, categorical ones then time grains."""
        names = {}
        for semantic_model in self._manifest.semantic_models:
            if not any(entity.name == ENTITY and entity.type.value == "primary" for entity in semantic_model.entities):
                continue
            for dimension in semantic_model.dimensions:
                if dimension.type.value == "categorical":
                    names[dimension.name] = f"{ENTITY}__{dimension.name}"
        return {**dict(sorted(names.items())), **TIME_GRAINS}

    def metrics(self) -> dict[str, Metric]:
        found = {}
        for metric in self._manifest.metrics:
            kind = metric.type.value
            if kind == "simple":
                found[metric.name] = Metric(metric.name, "simple")
            elif kind == "ratio":
                found[metric.name] = Metric(
                    metric.name, "ratio",
                    numerator=metric.type_params.numerator.name,
                    denominator=metric.type_params.denominator.name,
                )
        return dict(sorted(found.items()))

    def relation_schema(self, semantic_model: str) -> str:
        """Schema the semantic model's table was built in: the marts' schema."""
        model = next(m for m in self._manifest.semantic_models if m.name == semantic_model)
        return model.node_relation.schema_name

    def sql(self, metric_names, group_by, start: date | None = None, end: date | None = None) -> str:
        """SQL MetricFlow compiles for these simple metrics by these group-by names and UTC days."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=list(metric_names),
            group_by_names=list(group_by),
            time_constraint_start=datetime.combine(start, time.min) if start else None,
            time_constraint_end=datetime.combine(end, time.min) if end else None,
        )
        return self._engine.explain(mf_request=request).sql_statement.without_descriptions.sql


class _ExplainOnlyClient:
    """What MetricFlow needs to compile SQL for an engine; the reporter runs the SQL itself."""

    def __init__(self, engine_name: str):
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
        from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer

        engines = {
            "duckdb": (SqlEngine.DUCKDB, DuckDbSqlPlanRenderer),
            "postgres": (SqlEngine.POSTGRES, PostgresSQLSqlPlanRenderer),
        }
        engine, renderer = engines[engine_name]
        self.sql_engine_type = engine
        self.sql_plan_renderer = renderer()
