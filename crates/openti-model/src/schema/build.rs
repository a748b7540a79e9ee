//! Const constructors shared by the schema tables.

use super::{ComplexType, EdmType, EntityType, Navigation, Property, NAMESPACE};

/// A nullable single-valued property.
pub(super) const fn opt(name: &'static str, ty: EdmType) -> Property {
    Property {
        name,
        ty,
        collection: false,
        nullable: true,
    }
}

/// A non-nullable single-valued property.
pub(super) const fn req(name: &'static str, ty: EdmType) -> Property {
    Property {
        name,
        ty,
        collection: false,
        nullable: false,
    }
}

/// A collection-valued property (never null).
pub(super) const fn coll(name: &'static str, ty: EdmType) -> Property {
    Property {
        name,
        ty,
        collection: true,
        nullable: false,
    }
}

/// A single-valued navigation property.
pub(super) const fn one(name: &'static str, target: &'static str) -> Navigation {
    Navigation {
        name,
        target,
        collection: false,
        contains_target: false,
    }
}

/// A collection-valued navigation property.
pub(super) const fn many(name: &'static str, target: &'static str) -> Navigation {
    Navigation {
        name,
        target,
        collection: true,
        contains_target: false,
    }
}

/// A contained collection navigation of the `threatIntelligence` singleton.
pub(super) const fn contained(name: &'static str, target: &'static str) -> Navigation {
    Navigation {
        name,
        target,
        collection: true,
        contains_target: true,
    }
}

/// An entity type in the security namespace.
pub(super) const fn entity(
    name: &'static str,
    base: &'static str,
    is_abstract: bool,
    properties: &'static [Property],
    navigations: &'static [Navigation],
) -> EntityType {
    EntityType {
        name,
        namespace: NAMESPACE,
        base: Some(base),
        is_abstract,
        key: None,
        properties,
        navigations,
    }
}

/// A complex type in the security namespace.
pub(super) const fn complex(
    name: &'static str,
    properties: &'static [Property],
    navigations: &'static [Navigation],
) -> ComplexType {
    ComplexType {
        name,
        namespace: NAMESPACE,
        properties,
        navigations,
    }
}

pub(super) const FIRST_SEEN: Property = opt("firstSeenDateTime", EdmType::DateTimeOffset);
pub(super) const LAST_SEEN: Property = opt("lastSeenDateTime", EdmType::DateTimeOffset);
pub(super) const HOST_NAV: Navigation = one("host", "host");
