"""A verification's results as people read them, and as JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from smsim.pact.run import Report


def lines(report: Report) -> Iterator[str]:
    """One line per interaction, each problem indented under it, then a summary."""
    for result in report.results:
        mark = "PASS" if result.passed else "FAIL"
        kind = "message" if result.kind.startswith("Asynchronous") else "http"
        yield f"{mark}  {result.consumer} -> {result.provider}: {result.description} [{kind}]"
        for problem in result.problems:
            yield f"      {problem}"
    failed = sum(not r.passed for r in report.results)
    total = len(report.results)
    version = f" (provider version {report.provider_version})" if report.provider_version else ""
    yield (
        f"{total} interaction{'s' if total != 1 else ''} against {report.against}{version}: "
        f"{total - failed} passed, {failed} failed"
    )


def write_junit(report: Report, path: str | Path) -> None:
    """One test suite per pact file, one test case per interaction."""
    root = ET.Element("testsuites", name="smsim pact verify")
    suites: dict[str, ET.Element] = {}
    for result in report.results:
        suite = suites.get(result.pact)
        if suite is None:
            suite = ET.SubElement(root, "testsuite", name=result.pact)
            if report.provider_version:
                props = ET.SubElement(suite, "properties")
                ET.SubElement(
                    props, "property", name="provider_version", value=report.provider_version
                )
            suites[result.pact] = suite
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{result.consumer} -> {result.provider}",
            name=result.description,
        )
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=result.problems[0])
            failure.text = "\n".join(result.problems)
    for suite in suites.values():
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
