"""The results of a ``smsim verify`` run: one per check, grouped by class, as text a
person can act on and as JUnit XML (one testcase per check)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from xml.etree import ElementTree

Failure = Literal["", "answer", "timeout", "stats", "unreachable"]
SHOWN_PER_CLASS = 5  # failures printed per class; the JUnit file has them all


@dataclass(frozen=True)
class CaseResult:
    """One check: its verdict and, when it failed, the three things a reader needs."""

    name: str
    passed: bool
    reason: str
    exchanges: tuple[str, ...] = ()
    klass: str = "checks"
    failure: Failure = ""
    did: str = ""  # what the receiver did
    twilio_next: str = ""  # what Twilio would do next
    production: str = ""  # what the integration would show in production


@dataclass
class Report:
    """All results of a run, in the order the checks ran."""

    results: list[CaseResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def by_class(self) -> dict[str, list[CaseResult]]:
        """Results grouped by class, classes in the order they first ran."""
        groups: dict[str, list[CaseResult]] = {}
        for result in self.results:
            groups.setdefault(result.klass, []).append(result)
        return groups

    def failed_classes(self) -> set[str]:
        """The classes with a failing check, plus the kinds of failure (``stats``, ``timeout``)."""
        named = {r.klass for r in self.failures}
        return named | {r.failure for r in self.failures if r.failure}

    def lines(self) -> list[str]:
        """The report as printed: a line per class, each failure with what to do about it."""
        out: list[str] = []
        for klass, results in self.by_class().items():
            failed = [r for r in results if not r.passed]
            if len(results) == 1:
                result = results[0]
                out.append(f"{'FAIL' if failed else 'PASS'}  {result.name}: {result.reason}")
                out += _details(result) if failed else []
                continue
            if not failed:
                out.append(f"PASS  {klass}: {len(results)}/{len(results)} checks")
                continue
            out.append(f"FAIL  {klass}: {len(failed)} of {len(results)} checks failed")
            for result in failed[:SHOWN_PER_CLASS]:
                out.append(f"      FAIL  {result.name}")
                out += _details(result, indent="            ")
            if len(failed) > SHOWN_PER_CLASS:
                out.append(f"      ... and {len(failed) - SHOWN_PER_CLASS} more (see --junit)")
        ok = len(self.results) - len(self.failures)
        out.append(f"{ok}/{len(self.results)} checks passed in {self.seconds:.1f} s")
        return out

    def to_junit_xml(self) -> str:
        """JUnit XML: one testsuite, one testcase per check, classname per class."""
        suite = ElementTree.Element(
            "testsuite",
            name="smsim verify",
            tests=str(len(self.results)),
            failures=str(len(self.failures)),
            errors="0",
            time=f"{self.seconds:.3f}",
        )
        for result in self.results:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"smsim.verify.{result.klass.replace(' ', '_')}",
                name=result.name,
            )
            if not result.passed:
                failure = ElementTree.SubElement(case, "failure", message=result.reason)
                failure.text = "\n".join([*_details(result, indent=""), *result.exchanges])
            else:
                out = ElementTree.SubElement(case, "system-out")
                out.text = "\n".join([result.reason, *result.exchanges])
        return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


def _details(result: CaseResult, indent: str = "      ") -> list[str]:
    lines = [f"{indent}receiver:    {result.did or result.reason}"]
    if result.twilio_next:
        lines.append(f"{indent}Twilio next: {result.twilio_next}")
    if result.production:
        lines.append(f"{indent}production:  {result.production}")
    return lines
