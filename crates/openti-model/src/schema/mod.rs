//! The schema table of the `microsoft.graph.security` threat-intelligence namespace.
//!
//! Static, data-only description of every entity type, complex type, enum and entity set
//! (spec sections 1.1 and 2). It drives `$metadata` (CSDL), `$select` / `$expand` / `$filter` /
//! `$orderby` validation and OpenAPI generation. This module holds the type definitions and the
//! lookup helpers; the data lives in `entity_types.rs` and `value_types.rs`.
//!
//! Type references inside the tables ([`EntityType::base`], [`Navigation::target`],
//! [`EdmType::Enum`], [`EdmType::Complex`]) use *short* names (`"host"`, `"physicalAddress"`);
//! short names are unique across the two namespaces involved, and the owning namespace is
//! recorded on each [`EntityType`] / [`ComplexType`].

mod build;
#[cfg(test)]
mod drift_tests;
mod entity_types;
#[cfg(test)]
mod tests;
mod value_types;

pub use entity_types::ENTITY_TYPES;
pub use value_types::{COMPLEX_TYPES, ENTITY_SETS, ENUM_TYPES};

/// The threat-intelligence namespace.
pub const NAMESPACE: &str = "microsoft.graph.security";

/// The core Graph namespace (home of `entity` and `physicalAddress`).
pub const GRAPH_NAMESPACE: &str = "microsoft.graph";

/// Name of the singleton entity type under which every entity set hangs.
pub const SINGLETON_TYPE: &str = "threatIntelligence";

/// The type of a structural property (or, in [`ResolvedPath`], of a path's final segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdmType {
    /// `Edm.String`.
    String,
    /// `Edm.Int32`.
    Int32,
    /// `Edm.Int64`.
    Int64,
    /// `Edm.Double`.
    Double,
    /// `Edm.Boolean`.
    Boolean,
    /// `Edm.DateTimeOffset`.
    DateTimeOffset,
    /// An enum of the security namespace, by short name.
    Enum(&'static str),
    /// A complex type, by short name.
    Complex(&'static str),
    /// An entity type, by short name. Never used by a [`Property`]; [`resolve_path`] returns it
    /// when a path ends at a navigation property or a type-cast segment.
    Entity(&'static str),
}

impl EdmType {
    /// True for the `Edm.*` primitive types.
    pub fn is_primitive(self) -> bool {
        !matches!(
            self,
            EdmType::Enum(_) | EdmType::Complex(_) | EdmType::Entity(_)
        )
    }

    /// The qualified CSDL type name: `Edm.String`, `microsoft.graph.security.hostPortStatus`,
    /// `microsoft.graph.physicalAddress`, …
    pub fn qualified_name(self) -> String {
        match self {
            EdmType::String => "Edm.String".into(),
            EdmType::Int32 => "Edm.Int32".into(),
            EdmType::Int64 => "Edm.Int64".into(),
            EdmType::Double => "Edm.Double".into(),
            EdmType::Boolean => "Edm.Boolean".into(),
            EdmType::DateTimeOffset => "Edm.DateTimeOffset".into(),
            EdmType::Enum(n) => format!("{NAMESPACE}.{n}"),
            EdmType::Complex(n) => {
                format!("{}.{n}", complex_type(n).map_or(NAMESPACE, |c| c.namespace))
            }
            EdmType::Entity(n) => {
                format!("{}.{n}", entity_type(n).map_or(NAMESPACE, |e| e.namespace))
            }
        }
    }
}

/// A structural property of an entity or complex type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property {
    /// JSON / CSDL name.
    pub name: &'static str,
    /// Element type.
    pub ty: EdmType,
    /// True for `Collection(…)` properties.
    pub collection: bool,
    /// Whether the value may be `null` (collections are never null).
    pub nullable: bool,
}

impl Property {
    /// CSDL `Type` attribute, e.g. `Collection(Edm.String)`.
    pub fn type_name(&self) -> String {
        wrap_collection(self.ty.qualified_name(), self.collection)
    }
}

/// A navigation property (relationship) of an entity or complex type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Navigation {
    /// JSON / CSDL name.
    pub name: &'static str,
    /// Short name of the target entity type.
    pub target: &'static str,
    /// True for collection-valued navigations.
    pub collection: bool,
    /// CSDL `ContainsTarget` (only the `threatIntelligence` collections).
    pub contains_target: bool,
}

impl Navigation {
    /// CSDL `Type` attribute, e.g. `Collection(microsoft.graph.security.hostPair)`.
    pub fn type_name(&self) -> String {
        wrap_collection(
            EdmType::Entity(self.target).qualified_name(),
            self.collection,
        )
    }
}

fn wrap_collection(name: String, collection: bool) -> String {
    if collection {
        format!("Collection({name})")
    } else {
        name
    }
}

/// An entity type with its declared (own) members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityType {
    /// Short name, e.g. `hostPort`.
    pub name: &'static str,
    /// Owning namespace ([`NAMESPACE`], or [`GRAPH_NAMESPACE`] for `entity`).
    pub namespace: &'static str,
    /// Short name of the base type (`None` only for `entity`).
    pub base: Option<&'static str>,
    /// CSDL `Abstract`.
    pub is_abstract: bool,
    /// Key property declared on this type (only `entity` declares one; see [`entity_key`]).
    pub key: Option<&'static str>,
    /// Declared structural properties (inherited ones are not repeated).
    pub properties: &'static [Property],
    /// Declared navigation properties.
    pub navigations: &'static [Navigation],
}

impl EntityType {
    /// `namespace.name`, e.g. `microsoft.graph.security.hostPort`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }

    /// The `@odata.type` value, e.g. `#microsoft.graph.security.hostPort`.
    pub fn odata_type(&self) -> String {
        format!("#{}", self.qualified_name())
    }
}

/// A complex type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplexType {
    /// Short name, e.g. `cvssSummary`.
    pub name: &'static str,
    /// Owning namespace.
    pub namespace: &'static str,
    /// Structural properties.
    pub properties: &'static [Property],
    /// Relationship-like members rendered inline (`hostPortComponent.component`,
    /// `whoisNameserver.host`).
    pub navigations: &'static [Navigation],
}

impl ComplexType {
    /// `namespace.name`, e.g. `microsoft.graph.physicalAddress`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }
}

/// An enum type of the security namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumType {
    /// Short name, e.g. `hostPortStatus`.
    pub name: &'static str,
    /// Members in schema order (CSDL values are the positions 0, 1, …).
    pub members: &'static [&'static str],
}

impl EnumType {
    /// `microsoft.graph.security.<name>`.
    pub fn qualified_name(&self) -> String {
        format!("{NAMESPACE}.{}", self.name)
    }
}

/// A collection under `/security/threatIntelligence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntitySetInfo {
    /// Navigation name under `threatIntelligence`, e.g. `hostComponents`.
    pub name: &'static str,
    /// Short name of the element entity type.
    pub entity_type: &'static str,
}

/// Looks up an entity type by short name (`"host"`, `"entity"`).
pub fn entity_type(name: &str) -> Option<&'static EntityType> {
    ENTITY_TYPES.iter().find(|t| t.name == name)
}

/// Looks up an entity type by qualified name, with or without a leading `#`
/// (`microsoft.graph.security.hostname`, `#microsoft.graph.entity`).
pub fn entity_type_by_qualified_name(name: &str) -> Option<&'static EntityType> {
    let name = name.strip_prefix('#').unwrap_or(name);
    let (ns, short) = name.rsplit_once('.')?;
    entity_type(short).filter(|t| t.namespace == ns)
}

/// Looks up a complex type by short name (`"cvssSummary"`, `"physicalAddress"`).
pub fn complex_type(name: &str) -> Option<&'static ComplexType> {
    COMPLEX_TYPES.iter().find(|t| t.name == name)
}

/// Looks up an enum type by short name (`"hostPortStatus"`).
pub fn enum_type(name: &str) -> Option<&'static EnumType> {
    ENUM_TYPES.iter().find(|t| t.name == name)
}

/// Looks up an entity set (collection under `threatIntelligence`) by name (`"hostPorts"`).
pub fn entity_set(name: &str) -> Option<&'static EntitySetInfo> {
    ENTITY_SETS.iter().find(|s| s.name == name)
}

/// The inheritance chain of an entity type, root (`entity`) first and the type itself last.
/// Empty for an unknown name.
pub fn base_chain(name: &str) -> Vec<&'static EntityType> {
    let mut chain = Vec::new();
    let mut cur = entity_type(name);
    while let Some(t) = cur {
        if chain.len() > ENTITY_TYPES.len() {
            break; // defensive: a cycle in the table
        }
        chain.push(t);
        cur = t.base.and_then(entity_type);
    }
    chain.reverse();
    chain
}

/// All structural properties of an entity type, inherited ones first (`id` leads).
/// Empty for an unknown name.
pub fn all_properties(entity: &str) -> Vec<&'static Property> {
    base_chain(entity)
        .into_iter()
        .flat_map(|t| t.properties.iter())
        .collect()
}

/// All navigation properties of an entity type, inherited ones first.
/// Empty for an unknown name.
pub fn all_navigations(entity: &str) -> Vec<&'static Navigation> {
    base_chain(entity)
        .into_iter()
        .flat_map(|t| t.navigations.iter())
        .collect()
}

/// A structural property of an entity type by name, declared or inherited.
pub fn find_property(entity: &str, name: &str) -> Option<&'static Property> {
    all_properties(entity).into_iter().find(|p| p.name == name)
}

/// A navigation property of an entity type by name, declared or inherited.
pub fn find_navigation(entity: &str, name: &str) -> Option<&'static Navigation> {
    all_navigations(entity).into_iter().find(|n| n.name == name)
}

/// The key property of an entity type, inherited from the nearest base declaring one (`id`).
pub fn entity_key(entity: &str) -> Option<&'static str> {
    base_chain(entity).into_iter().rev().find_map(|t| t.key)
}

/// True when `name` is `base` or (transitively) derives from it.
pub fn derives_from(name: &str, base: &str) -> bool {
    base_chain(name).iter().any(|t| t.name == base)
}

/// All entity types deriving (transitively) from `name`, excluding `name` itself, in table
/// order. E.g. `host` → `hostname`, `ipAddress`; `artifact` → `host`, `hostname`, … .
pub fn derived_types(name: &str) -> Vec<&'static EntityType> {
    ENTITY_TYPES
        .iter()
        .filter(|t| t.name != name && derives_from(t.name, name))
        .collect()
}

/// The `@odata.type` annotation for a type's short name:
/// `#microsoft.graph.security.<name>` (or `#microsoft.graph.<name>` for `entity` and
/// `physicalAddress`). Unknown names are assumed to be in the security namespace.
pub fn odata_type(name: &str) -> String {
    let ns = entity_type(name)
        .map(|t| t.namespace)
        .or_else(|| complex_type(name).map(|t| t.namespace))
        .unwrap_or(NAMESPACE);
    format!("#{ns}.{name}")
}

/// The result of [`resolve_path`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedPath {
    /// Type of the final segment ([`EdmType::Entity`] when it is a navigation or a type cast;
    /// for collection-valued segments this is the element type).
    pub ty: EdmType,
    /// True when any step of the path (including the last) is collection-valued.
    pub collection: bool,
    /// True when any step of the path is a navigation property.
    pub navigation: bool,
}

/// The structured type a path step lands on.
#[derive(Clone, Copy)]
enum Structured {
    Entity(&'static EntityType),
    Complex(&'static ComplexType),
}

/// Resolves a `/`-separated member path (as used by `$select`, `$filter` and `$orderby`)
/// against an entity type.
///
/// Steps may go through complex properties (single or collection-valued), single-valued
/// navigations (`childHost/id`) and type casts to a derived type
/// (`childHost/microsoft.graph.security.hostname/registrar`). A collection-valued navigation
/// is only accepted as the last segment. Returns `None` for an unknown entity type, an unknown
/// member, an empty segment, or a step below a primitive/enum value.
///
/// ```
/// use openti_model::schema::{resolve_path, EdmType};
/// let r = resolve_path("vulnerability", "cvss3Summary/score").unwrap();
/// assert_eq!(r.ty, EdmType::Double);
/// assert!(!r.collection);
/// ```
pub fn resolve_path(entity: &str, path: &str) -> Option<ResolvedPath> {
    let root = entity_type(entity)?;
    let mut cur = Some(Structured::Entity(root));
    let mut out = ResolvedPath {
        ty: EdmType::Entity(root.name),
        collection: false,
        navigation: false,
    };
    let segments: Vec<&str> = path.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if seg.is_empty() {
            return None;
        }
        let here = cur?;
        if seg.contains('.') {
            // Type cast to a derived entity type.
            let Structured::Entity(from) = here else {
                return None;
            };
            let to = entity_type_by_qualified_name(seg)?;
            if !derives_from(to.name, from.name) {
                return None;
            }
            cur = Some(Structured::Entity(to));
            out.ty = EdmType::Entity(to.name);
            continue;
        }
        let (prop, nav) = match here {
            Structured::Entity(t) => (find_property(t.name, seg), find_navigation(t.name, seg)),
            Structured::Complex(c) => (
                c.properties.iter().find(|p| p.name == *seg),
                c.navigations.iter().find(|n| n.name == *seg),
            ),
        };
        if let Some(p) = prop {
            out.collection |= p.collection;
            out.ty = p.ty;
            cur = match p.ty {
                EdmType::Complex(n) => Some(Structured::Complex(complex_type(n)?)),
                _ => None,
            };
        } else if let Some(n) = nav {
            if n.collection && !last {
                return None;
            }
            out.collection |= n.collection;
            out.navigation = true;
            out.ty = EdmType::Entity(n.target);
            cur = Some(Structured::Entity(entity_type(n.target)?));
        } else {
            return None;
        }
    }
    Some(out)
}
