"""Reports: a readable summary table for people, JUnit XML for CI and bench dashboards."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

from hil.runner import Result


def _fmt(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def summary(results: list[Result]) -> str:
    """One line per scenario, then one per expectation, then the totals."""
    lines = []
    name_w = max([len(r.scenario) for r in results] + [8])
    lines.append(f"{'scenario':<{name_w}}  {'result':<6}  {'seed':>6}  {'time':>7}  checks")
    lines.append("-" * (name_w + 40))
    for r in results:
        verdict = "PASS" if r.passed else ("ERROR" if r.error else "FAIL")
        ok = sum(1 for _, o in r.outcomes if o.passed)
        total_s = r.timings.get("total_s", 0.0)
        lines.append(
            f"{r.scenario:<{name_w}}  {verdict:<6}  {r.seed:>6}  {total_s:>6.1f}s  "
            f"{ok}/{len(r.outcomes)}"
        )
        for name, o in r.outcomes:
            mark = "ok  " if o.passed else "FAIL"
            lines.append(f"{'':<{name_w}}    {mark} {name}: {o.detail}")
        if r.error:
            for i, text in enumerate(r.error.splitlines()[:10]):
                lines.append(f"{'':<{name_w}}    {'ERROR' if i == 0 else '     '} {text}")
        if not r.passed and r.workdir:
            lines.append(f"{'':<{name_w}}    kept: {r.workdir}")
    passed = sum(1 for r in results if r.passed)
    wall = sum(r.timings.get("total_s", 0.0) for r in results)
    lines.append("-" * (name_w + 40))
    lines.append(f"{passed}/{len(results)} scenarios passed in {wall:.1f} s")
    return "\n".join(lines)


def junit(results: list[Result]) -> ET.Element:
    """``<testsuites>``: one suite per scenario, one test case per expectation (with the
    measured numbers as properties), seed and timings as suite properties."""
    root = ET.Element("testsuites", name="rsu-hil")
    for r in results:
        failures = sum(1 for _, o in r.outcomes if not o.passed)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=r.scenario,
            tests=str(max(1, len(r.outcomes))),
            failures=str(failures),
            errors="1" if r.error else "0",
            time=f"{r.timings.get('total_s', 0.0):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="seed", value=str(r.seed))
        for key, value in {**r.timings, **r.stats}.items():
            ET.SubElement(props, "property", name=key, value=str(value))
        if r.error:
            case = ET.SubElement(suite, "testcase", classname=f"hil.{r.scenario}", name="setup")
            ET.SubElement(case, "error", message=r.error.splitlines()[0]).text = r.error
        for name, o in r.outcomes:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"hil.{r.scenario}",
                name=name,
                time=f"{r.timings.get('scenario_s', 0.0):.3f}",
            )
            cprops = ET.SubElement(case, "properties")
            for key, value in o.metrics.items():
                ET.SubElement(cprops, "property", name=key, value=_fmt(value))
            if not o.passed:
                ET.SubElement(case, "failure", message=o.detail).text = o.detail
            else:
                ET.SubElement(case, "system-out").text = o.detail
    return root


def write_junit(results: list[Result], path: str | Path) -> None:
    tree = ET.ElementTree(junit(results))
    ET.indent(tree)
    tree.write(str(path), encoding="utf-8", xml_declaration=True)
