"""Loads the server's `$metadata` with OData tooling and checks it against the Graph SDK.

1. parses the CSDL with Python's XML parser (well-formed, EDMX 4.0 namespaces);
2. loads it with odatapy's CSDL reader (an Olingo-style EDM) and resolves every type
   reference: base types, property types (enum, complex, `Edm.*`), navigation targets, keys;
3. checks the container: `GraphService` with the `security` singleton whose contained
   `threatIntelligence` navigation reaches the singleton type and its 17 contained collections;
4. compares every entity and complex type with the official SDK's model (msgraph-sdk): each
   property the SDK deserialises must be declared (own or inherited) with the same name.

Prints 'N passed, N failed'.
"""
from __future__ import annotations

import importlib
import re
import sys
import traceback
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
import harness  # noqa: E402

from odatapy.edm.model import Edm  # noqa: E402
from odatapy.edm.names import FullQualifiedName  # noqa: E402
from odatapy.edm.xml_io import XmlEdmProvider  # noqa: E402

EDMX = "{http://docs.oasis-open.org/odata/ns/edmx}"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
SEC = "microsoft.graph.security"


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def resolve(edm: Edm, type_name: str) -> bool:
    t = type_name
    if t.startswith("Collection(") and t.endswith(")"):
        t = t[len("Collection("):-1]
    if t.startswith("Edm."):
        return True
    fqn = FullQualifiedName.parse(t)
    return any(g(fqn) is not None for g in (edm.get_entity_type, edm.get_complex_type,
                                             edm.get_enum_type))


def main() -> int:
    passed = failed = 0
    with harness.server() as (base, _token):
        with urllib.request.urlopen(base + "/v1.0/$metadata") as r:
            ctype = r.headers.get("content-type", "")
            doc = r.read()

    def run(name, fn):
        nonlocal passed, failed
        try:
            fn()
            passed += 1
            print(f"ok   {name}")
        except Exception:  # noqa: BLE001 - report every failure
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()

    root = ET.fromstring(doc)
    edm = Edm.from_provider(XmlEdmProvider(doc))
    sec_schema = next(s for s in edm.schemas if s.namespace == SEC)

    def xml_shape():
        assert ctype.startswith("application/xml"), ctype
        assert root.tag == EDMX + "Edmx" and root.get("Version") == "4.0"
        ds = root.find(EDMX + "DataServices")
        assert ds is not None
        namespaces = [s.get("Namespace") for s in ds.findall(EDM + "Schema")]
        assert namespaces == ["microsoft.graph", SEC], namespaces

    def references_resolve():
        n = 0
        for schema in edm.schemas:
            for t in schema.entity_types + schema.complex_types:
                for p in t.properties:
                    assert resolve(edm, p.type), f"{t.name}.{p.name}: {p.type}"
                    n += 1
                for nav in t.navigation_properties:
                    assert resolve(edm, nav.type), f"{t.name}.{nav.name}: {nav.type}"
                    n += 1
            for t in schema.entity_types:
                et = edm.get_entity_type(FullQualifiedName(schema.namespace, t.name))
                if t.base_type:
                    assert et.base_type is not None, f"{t.name} base {t.base_type}"
                assert [k.name for k in et.key_properties] == ["id"], t.name
        assert n > 150, n

    def counts_and_flags():
        assert len(sec_schema.entity_types) == 26, len(sec_schema.entity_types)
        assert len(sec_schema.complex_types) == 12, len(sec_schema.complex_types)
        assert len(sec_schema.enum_types) == 8, len(sec_schema.enum_types)
        abstract = {t.name for t in sec_schema.entity_types
                    if edm.get_entity_type(FullQualifiedName(SEC, t.name)).is_abstract}
        assert abstract == {"indicator", "artifact", "host", "whoisBaseRecord"}, abstract
        host = edm.get_entity_type(FullQualifiedName(SEC, "host"))
        assert {d.name for d in host.derived_types} >= {"hostname", "ipAddress"}
        enum = edm.get_enum_type(FullQualifiedName(SEC, "hostReputationClassification"))
        assert [m.name for m in enum.members] == [
            "unknown", "neutral", "suspicious", "malicious", "unknownFutureValue"]

    def container():
        c = edm.entity_container
        assert c is not None and c.name == "GraphService"
        s = c.get_singleton("security")
        assert s is not None
        nav = s.entity_type.get_navigation_property("threatIntelligence")
        assert nav is not None and nav.contains_target
        ti = nav.type
        assert ti.name == "threatIntelligence"
        navs = ti.get_navigation_properties()
        assert len(navs) == 17 and all(n.contains_target for n in navs), len(navs)
        assert {n.name for n in navs} >= {"hosts", "intelligenceProfileIndicators", "whoisRecords"}

    def matches_sdk_models():
        checked = 0
        for t in sec_schema.entity_types + sec_schema.complex_types:
            try:
                mod = importlib.import_module(f"msgraph.generated.models.security.{snake(t.name)}")
            except ModuleNotFoundError:
                raise AssertionError(f"SDK has no model for {t.name}")
            cls = next(getattr(mod, n) for n in dir(mod) if n.lower() == t.name.lower())
            et = (edm.get_entity_type(FullQualifiedName(SEC, t.name))
                  or edm.get_complex_type(FullQualifiedName(SEC, t.name)))
            ours = set(et.property_names) | set(et.navigation_property_names)
            sdk = set(cls().get_field_deserializers().keys()) - {"@odata.type"}
            missing = sdk - ours
            assert not missing, f"{t.name}: SDK properties not in $metadata: {sorted(missing)}"
            extra = ours - sdk
            assert not extra, f"{t.name}: $metadata properties unknown to the SDK: {sorted(extra)}"
            checked += 1
        assert checked == 38, checked

    run("xml_shape", xml_shape)
    run("references_resolve", references_resolve)
    run("counts_and_flags", counts_and_flags)
    run("container", container)
    run("matches_sdk_models", matches_sdk_models)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
