//! [`Item`]: one rendered entity of a page.

use openti_model::entities::GraphEntity;
use serde_json::Value;

/// One entity of a page, rendered: the JSON text of a Graph object, `@odata.type` first.
///
/// Pages carry text rather than `serde_json::Value` trees so that the API writes a page of
/// records straight into the response (a `passiveDns` page of 100 records was a tree of about
/// 3,000 nodes, built, walked and freed for every request). Consumers that need the tree
/// (`$select`, `$expand`, tests) parse it with [`Item::to_value`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item(String);

impl Item {
    /// Renders an entity (the same document as [`GraphEntity::to_json`]).
    pub fn of<E: GraphEntity + ?Sized>(entity: &E) -> Item {
        Item(entity.to_json_text())
    }

    /// Wraps an already built JSON object.
    pub fn from_value(value: &Value) -> Item {
        Item(value.to_string())
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The JSON tree (`Value::Null` if the text were not JSON, which rendering never makes).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

/// `entity.into_item()`: [`Item::of`] at the end of a renderer.
pub(crate) trait IntoItem {
    /// The rendered entity.
    fn into_item(self) -> Item;
}

impl<E: GraphEntity> IntoItem for E {
    fn into_item(self) -> Item {
        Item::of(&self)
    }
}

impl From<Value> for Item {
    fn from(value: Value) -> Item {
        Item::from_value(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openti_model::entities::{ArtifactRef, HostRef, PassiveDnsRecord};

    #[test]
    fn text_is_the_same_document_as_the_tree() {
        let rec = PassiveDnsRecord {
            id: "aWQ=".into(),
            record_type: "A".into(),
            collected_date_time: Some("2024-01-02T03:04:05.250Z".parse().expect("time")),
            first_seen_date_time: None,
            last_seen_date_time: Some("2024-01-02T03:04:05Z".parse().expect("time")),
            parent_host: HostRef::new("www.example.test"),
            artifact: ArtifactRef::Host("192.0.2.1".into()),
        };
        let item = Item::of(&rec);
        assert!(item.as_str().starts_with(
            r##"{"@odata.type":"#microsoft.graph.security.passiveDnsRecord","id":"aWQ="##
        ));
        assert_eq!(item.to_value(), rec.to_json());
        assert_eq!(
            item.to_value(),
            serde_json::json!({
                "@odata.type": "#microsoft.graph.security.passiveDnsRecord",
                "id": "aWQ=",
                "recordType": "A",
                "collectedDateTime": "2024-01-02T03:04:05.250Z",
                "firstSeenDateTime": null,
                "lastSeenDateTime": "2024-01-02T03:04:05Z",
                "parentHost": {"@odata.type": "#microsoft.graph.security.hostname", "id": "www.example.test"},
                "artifact": {"@odata.type": "#microsoft.graph.security.ipAddress", "id": "192.0.2.1"}
            })
        );
        assert_eq!(
            item.to_value()["artifact"]["@odata.type"],
            "#microsoft.graph.security.ipAddress"
        );
        assert_eq!(Item::from(rec.to_json()), Item::from_value(&rec.to_json()));
    }
}
