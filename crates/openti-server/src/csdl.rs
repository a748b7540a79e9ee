//! `GET /v1.0/$metadata`: the CSDL (OData v4 XML) document, generated from the schema table.
//!
//! Two schemas, as in Graph's own metadata:
//! * `microsoft.graph`: `entity` (abstract, key `id`), `physicalAddress`, the `security` entity
//!   type whose contained navigation `threatIntelligence` reaches the threat-intelligence
//!   singleton, and the `GraphService` entity container with the `security` singleton — so
//!   `/security/threatIntelligence/…` is addressable by OData tooling exactly as on Graph;
//! * `microsoft.graph.security`: every enum type (members with their values), complex type and
//!   entity type (base types, abstract flags, navigation properties, `ContainsTarget` on the
//!   `threatIntelligence` collections) of the table.

use std::fmt::Write;
use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use openti_model::schema::{
    self, ComplexType, EntityType, Navigation, Property, COMPLEX_TYPES, ENTITY_TYPES, ENUM_TYPES,
    GRAPH_NAMESPACE, NAMESPACE, SINGLETON_TYPE,
};

/// The document (generated once).
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(generate)
}

/// `GET /v1.0/$metadata`.
pub async fn handler() -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml;charset=utf-8")],
        document(),
    )
        .into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn property(out: &mut String, indent: &str, p: &Property) {
    let nullable = if !p.nullable && !p.collection {
        " Nullable=\"false\""
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{indent}<Property Name=\"{}\" Type=\"{}\"{nullable} />",
        esc(p.name),
        esc(&p.type_name())
    );
}

fn navigation(out: &mut String, indent: &str, n: &Navigation) {
    let contains = if n.contains_target {
        " ContainsTarget=\"true\""
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{indent}<NavigationProperty Name=\"{}\" Type=\"{}\"{contains} />",
        esc(n.name),
        esc(&n.type_name())
    );
}

fn entity_type(out: &mut String, t: &EntityType) {
    let mut attrs = format!("Name=\"{}\"", esc(t.name));
    if let Some(b) = t.base {
        let base = schema::entity_type(b)
            .map_or_else(|| format!("{NAMESPACE}.{b}"), EntityType::qualified_name);
        let _ = write!(attrs, " BaseType=\"{}\"", esc(&base));
    }
    if t.is_abstract {
        attrs.push_str(" Abstract=\"true\"");
    }
    let _ = writeln!(out, "      <EntityType {attrs}>");
    if let Some(k) = t.key {
        let _ = writeln!(
            out,
            "        <Key>\n          <PropertyRef Name=\"{}\" />\n        </Key>",
            esc(k)
        );
    }
    for p in t.properties {
        property(out, "        ", p);
    }
    for n in t.navigations {
        navigation(out, "        ", n);
    }
    out.push_str("      </EntityType>\n");
}

fn complex_type(out: &mut String, c: &ComplexType) {
    let _ = writeln!(out, "      <ComplexType Name=\"{}\">", esc(c.name));
    for p in c.properties {
        property(out, "        ", p);
    }
    for n in c.navigations {
        navigation(out, "        ", n);
    }
    out.push_str("      </ComplexType>\n");
}

fn generate() -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n  \
         <edmx:DataServices>\n",
    );
    // microsoft.graph
    let _ = writeln!(
        out,
        "    <Schema Namespace=\"{GRAPH_NAMESPACE}\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">"
    );
    for t in ENTITY_TYPES
        .iter()
        .filter(|t| t.namespace == GRAPH_NAMESPACE)
    {
        entity_type(&mut out, t);
    }
    let _ = writeln!(
        out,
        "      <EntityType Name=\"security\" BaseType=\"{GRAPH_NAMESPACE}.entity\">\n        \
         <NavigationProperty Name=\"threatIntelligence\" Type=\"{NAMESPACE}.{SINGLETON_TYPE}\" ContainsTarget=\"true\" />\n      \
         </EntityType>"
    );
    for c in COMPLEX_TYPES
        .iter()
        .filter(|c| c.namespace == GRAPH_NAMESPACE)
    {
        complex_type(&mut out, c);
    }
    let _ = writeln!(
        out,
        "      <EntityContainer Name=\"GraphService\">\n        \
         <Singleton Name=\"security\" Type=\"{GRAPH_NAMESPACE}.security\" />\n      \
         </EntityContainer>\n    </Schema>"
    );
    // microsoft.graph.security
    let _ = writeln!(
        out,
        "    <Schema Namespace=\"{NAMESPACE}\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">"
    );
    for e in ENUM_TYPES {
        let _ = writeln!(out, "      <EnumType Name=\"{}\">", esc(e.name));
        for (i, m) in e.members.iter().enumerate() {
            let _ = writeln!(out, "        <Member Name=\"{}\" Value=\"{i}\" />", esc(m));
        }
        out.push_str("      </EnumType>\n");
    }
    for c in COMPLEX_TYPES.iter().filter(|c| c.namespace == NAMESPACE) {
        complex_type(&mut out, c);
    }
    for t in ENTITY_TYPES.iter().filter(|t| t.namespace == NAMESPACE) {
        entity_type(&mut out, t);
    }
    out.push_str("    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_table() {
        let doc = document();
        for t in ENTITY_TYPES {
            assert!(
                doc.contains(&format!("<EntityType Name=\"{}\"", t.name)),
                "{}",
                t.name
            );
        }
        for c in COMPLEX_TYPES {
            assert!(doc.contains(&format!("<ComplexType Name=\"{}\"", c.name)));
        }
        for e in ENUM_TYPES {
            assert!(doc.contains(&format!("<EnumType Name=\"{}\"", e.name)));
        }
        assert!(doc.contains("<EntityType Name=\"host\" BaseType=\"microsoft.graph.security.artifact\" Abstract=\"true\">"));
        assert!(doc.contains("<NavigationProperty Name=\"hosts\" Type=\"Collection(microsoft.graph.security.host)\" ContainsTarget=\"true\" />"));
        assert!(doc.contains("<Singleton Name=\"security\" Type=\"microsoft.graph.security\" />"));
        assert!(doc.contains("<Member Name=\"malicious\" Value=\"3\" />"));
        assert!(doc.contains("<PropertyRef Name=\"id\" />"));
        assert!(
            doc.contains("<Property Name=\"address\" Type=\"microsoft.graph.physicalAddress\" />")
        );
    }
}
