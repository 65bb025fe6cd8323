"""Reports of a run: progress lines, failure details, a summary table, JUnit XML, JSON.

A failure is shown the way a person debugs it: the scenario and its file, the step or
expectation that failed with its lines from the file, then each mismatch as expected
versus actual, then what was actually there (the near misses).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from smsim.scenarios.loader import snippet
from smsim.scenarios.matching import Mismatch, show
from smsim.scenarios.runner import ERROR, FAILED, PASSED, SKIPPED, ScenarioResult

LABELS = {PASSED: "PASS", FAILED: "FAIL", ERROR: "ERROR", SKIPPED: "SKIP"}
ACTUAL_LIMIT = 1500


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def progress_line(result: ScenarioResult, done: int, total: int) -> str:
    """``[ 3/52] PASS   0.12s  delivered.scenario.yaml :: test SMS delivered``."""
    width = len(str(total))
    extra = f"  ({result.reason})" if result.outcome == SKIPPED and result.reason else ""
    return (
        f"[{done:>{width}}/{total}] {LABELS[result.outcome]:<5} {result.duration:6.2f}s  "
        f"{result.scenario.id}{extra}"
    )


def format_mismatch(m: Mismatch) -> str:
    lines = [
        f"    {m.path}:",
        f"      expected: {show(m.expected)}",
        f"      actual:   {show(m.actual)}",
    ]
    if m.note:
        lines.append(f"      ({m.note})")
    return "\n".join(lines)


def format_failure(result: ScenarioResult) -> str:
    """The full story of one failure: where, the file's lines, expected vs actual."""
    scenario, failure = result.scenario, result.failure
    if failure is None:
        return ""
    where = f"{display_path(scenario.file)}:{failure.line}"
    out = [
        f"{LABELS[result.outcome]} {scenario.name}",
        f"  at {failure.where}, {where}",
    ]
    lines = snippet(scenario.source, failure.line)
    if lines:
        out.append(lines)
    out.append(f"  {failure.message}")
    out.extend(format_mismatch(m) for m in failure.mismatches)
    if failure.actual is not None:
        text = json.dumps(failure.actual, indent=2, default=str, ensure_ascii=False)
        if len(text) > ACTUAL_LIMIT:
            text = text[:ACTUAL_LIMIT] + "\n..."
        out.append("  what was there:")
        out.append("\n".join("    " + line for line in text.splitlines()))
    if result.log:
        out.append("  steps run:")
        out.extend(f"    {line}" for line in result.log)
    if failure.traceback:
        out.append(failure.traceback.rstrip())
    return "\n".join(out)


def totals(results: Sequence[ScenarioResult]) -> Counter[str]:
    return Counter(r.outcome for r in results)


def summary_line(results: Sequence[ScenarioResult], seconds: float) -> str:
    """``52 scenarios: 50 passed, 2 skipped in 3.1s``."""
    counts = totals(results)
    parts = [f"{counts[k]} {k}" for k in (PASSED, FAILED, ERROR, SKIPPED) if counts[k]]
    noun = "scenario" if len(results) == 1 else "scenarios"
    return f"{len(results)} {noun}: {', '.join(parts) or 'none run'} in {seconds:.2f}s"


def summary_table(results: Sequence[ScenarioResult]) -> str:
    """One row per scenario: result, time, steps, file:line, name."""
    rows = [("RESULT", "TIME", "STEPS", "WHERE", "SCENARIO")]
    for r in results:
        steps = f"{r.steps_run}/{len(r.scenario.steps)}"
        rows.append(
            (
                LABELS[r.outcome],
                f"{r.duration:.2f}s",
                steps,
                f"{r.scenario.file.name}:{r.scenario.line}",
                r.scenario.name + (f"  [{r.reason}]" if r.reason else ""),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append("  ".join([*cells, row[4]]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 8)
    return "\n".join(lines)


def write_report(
    stream: TextIO, results: Sequence[ScenarioResult], seconds: float, *, table: bool = True
) -> None:
    """Failures in full, then the summary table and the totals line."""
    failed = [r for r in results if r.outcome in (FAILED, ERROR)]
    if failed:
        stream.write("\n" + "=" * 30 + " failures " + "=" * 30 + "\n")
        for r in failed:
            stream.write(format_failure(r) + "\n\n")
    if table:
        stream.write("\n" + summary_table(results) + "\n")
    stream.write("\n" + summary_line(results, seconds) + "\n")


# -- machine-readable ---------------------------------------------------------------------


def junit_xml(results: Sequence[ScenarioResult], seconds: float) -> bytes:
    """JUnit XML: one testsuite per file, one testcase per scenario."""
    counts = totals(results)
    root = ET.Element(
        "testsuites",
        name="smsim scenarios",
        tests=str(len(results)),
        failures=str(counts[FAILED]),
        errors=str(counts[ERROR]),
        skipped=str(counts[SKIPPED]),
        time=f"{seconds:.3f}",
    )
    by_file: dict[Path, list[ScenarioResult]] = {}
    for r in results:
        by_file.setdefault(r.scenario.file, []).append(r)
    for path, group in by_file.items():
        c = totals(group)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path.name,
            file=display_path(path),
            tests=str(len(group)),
            failures=str(c[FAILED]),
            errors=str(c[ERROR]),
            skipped=str(c[SKIPPED]),
            time=f"{sum(r.duration for r in group):.3f}",
        )
        for r in group:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=path.name.removesuffix(".scenario.yaml"),
                name=r.scenario.name,
                file=display_path(path),
                line=str(r.scenario.line),
                time=f"{r.duration:.3f}",
            )
            if r.outcome == SKIPPED:
                ET.SubElement(case, "skipped", message=r.reason or "")
            elif r.outcome in (FAILED, ERROR) and r.failure is not None:
                tag = "failure" if r.outcome == FAILED else "error"
                node = ET.SubElement(case, tag, message=f"{r.failure.where}: {r.failure.message}")
                node.text = format_failure(r)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def to_json(results: Sequence[ScenarioResult], seconds: float) -> dict[str, Any]:
    """The run as JSON: totals and, per scenario, where it is and how it went."""
    counts = totals(results)
    return {
        "summary": {
            "total": len(results),
            **{k: counts[k] for k in (PASSED, FAILED, ERROR, SKIPPED)},
            "seconds": round(seconds, 3),
        },
        "scenarios": [_scenario_json(r) for r in results],
    }


def _scenario_json(r: ScenarioResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.scenario.id,
        "name": r.scenario.name,
        "file": display_path(r.scenario.file),
        "line": r.scenario.line,
        "tags": list(r.scenario.tags),
        "outcome": r.outcome,
        "seconds": round(r.duration, 3),
        "steps_run": r.steps_run,
        "steps": len(r.scenario.steps),
    }
    if r.reason:
        out["reason"] = r.reason
    if r.failure is not None:
        out["failure"] = {
            "where": r.failure.where,
            "line": r.failure.line,
            "message": r.failure.message,
            "mismatches": [
                {
                    "path": m.path,
                    "expected": _jsonable(m.expected),
                    "actual": _jsonable(m.actual),
                    **({"note": m.note} if m.note else {}),
                }
                for m in r.failure.mismatches
            ],
        }
    return out


def _jsonable(value: Any) -> Any:
    if value is not None and show(value) == "(missing)":
        return "(missing)"
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value
