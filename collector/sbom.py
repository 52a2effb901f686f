"""`audit --format cyclonedx-json`: the audited dependencies as a CycloneDX 1.6 SBOM.

Built with cyclonedx-python-lib (the format's reference model and serializer): one library
component per dependency with its purl (`pkg:pypi/name@version`) and licence, and one
vulnerability per known advisory affecting it (OSV as the source, the first fixed version as the
recommendation). Known malware is a vulnerability too, so that SBOM tools show it. A version
resolved from the store (`audit --resolve`) says so in a `pypi-sentinel:resolved_from` property:
it is what pip would pick today, not what the file pins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.model.vulnerability import BomTarget, Vulnerability, VulnerabilitySource
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from analysis.osv import Advisory
from analysis.requirements import Dependency

if TYPE_CHECKING:
    from collector.audit import Known

OSV = VulnerabilitySource(name="OSV")
RESOLVED_FROM = "pypi-sentinel:resolved_from"


def render_cyclonedx(dependencies: Sequence[Dependency], known: Sequence[Known]) -> str:
    bom = Bom()
    for index, (dependency, facts) in enumerate(zip(dependencies, known, strict=True)):
        component = _component(dependency, facts, index)
        bom.components.add(component)
        found = [*facts.exposure.vulnerabilities, *((a, None) for a in facts.exposure.malicious)]
        for advisory, fixed in found:
            bom.vulnerabilities.add(_vulnerability(advisory, fixed, component))
    return JsonV1Dot6(bom).output_as_string(indent=2)


def _component(dependency: Dependency, facts: Known, index: int) -> Component:
    version, licence = facts.version, facts.licence
    purl = PackageURL(type="pypi", name=dependency.name, version=version)
    component = Component(
        type=ComponentType.LIBRARY,
        name=dependency.name,
        version=version,
        purl=purl,
        bom_ref=f"{purl.to_string()}#{index}",  # one name may be declared twice (extras, groups)
    )
    if facts.resolved_from is not None:
        component.properties.add(Property(name=RESOLVED_FROM, value=facts.resolved_from))
    if licence is not None and licence.spdx is not None:
        component.licenses.add(LicenseExpression(licence.spdx))
    elif licence is not None and licence.text:
        component.licenses.add(DisjunctiveLicense(name=licence.text))
    return component


def _vulnerability(advisory: Advisory, fixed: str | None, component: Component) -> Vulnerability:
    vulnerability = Vulnerability(
        id=advisory.id,
        source=OSV,
        description=advisory.summary or None,
        recommendation=f"Upgrade to {fixed} or later" if fixed else None,
        affects=[BomTarget(ref=component.bom_ref.value or "")],
    )
    if advisory.malicious:
        vulnerability.detail = "Known malicious release (OpenSSF malicious-packages)"
    return vulnerability
