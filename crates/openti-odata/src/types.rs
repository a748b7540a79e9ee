//! Type helpers shared by validation: member lookup through entity, complex and derived
//! types, and the type families used to check operand compatibility.

use openti_model::schema::{
    complex_type, derived_types, entity_type, find_navigation, find_property, EdmType,
};

use crate::ast::Literal;

/// What a path step stands on.
#[derive(Clone, Copy)]
pub(crate) enum On {
    Entity(&'static str),
    Complex(&'static str),
    Leaf,
}

/// A member of `on` called `name`: (type, collection, is navigation).
pub(crate) fn member_of(on: On, name: &str) -> Option<(EdmType, bool, bool)> {
    match on {
        On::Entity(t) => {
            if let Some(p) = find_property(t, name) {
                return Some((p.ty, p.collection, false));
            }
            if let Some(n) = find_navigation(t, name) {
                return Some((EdmType::Entity(n.target), n.collection, true));
            }
            // Lenient: a property declared on a derived type (hosts: `registrar`).
            derived_types(t).into_iter().find_map(|d| {
                d.properties
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| (p.ty, p.collection, false))
            })
        }
        On::Complex(c) => {
            let c = complex_type(c)?;
            if let Some(p) = c.properties.iter().find(|p| p.name == name) {
                return Some((p.ty, p.collection, false));
            }
            c.navigations
                .iter()
                .find(|n| n.name == name)
                .map(|n| (EdmType::Entity(n.target), n.collection, true))
        }
        On::Leaf => None,
    }
}

/// The step for an entity type by (non-static) name; unknown names have no members.
pub(crate) fn root(name: &str) -> On {
    entity_type(name).map_or(On::Leaf, |t| On::Entity(t.name))
}

pub(crate) fn on_type(ty: EdmType) -> On {
    match ty {
        EdmType::Entity(e) => On::Entity(e),
        EdmType::Complex(c) => On::Complex(c),
        _ => On::Leaf,
    }
}

pub(crate) fn type_label(ty: Option<EdmType>) -> String {
    ty.map_or_else(|| "null".to_string(), |t| t.qualified_name())
}

/// Type family used for compatibility checks.
#[derive(PartialEq, Eq, Clone, Copy)]
pub(crate) enum Family {
    Str,
    Num,
    Bool,
    Time,
    Enum(&'static str),
    Other,
}

pub(crate) fn family(ty: EdmType) -> Family {
    match ty {
        EdmType::String => Family::Str,
        EdmType::Int32 | EdmType::Int64 | EdmType::Double => Family::Num,
        EdmType::Boolean => Family::Bool,
        EdmType::DateTimeOffset => Family::Time,
        EdmType::Enum(e) => Family::Enum(e),
        _ => Family::Other,
    }
}

pub(crate) fn literal_type(l: &Literal) -> Option<EdmType> {
    match l {
        Literal::Null => None,
        Literal::Bool(_) => Some(EdmType::Boolean),
        Literal::Int(_) => Some(EdmType::Int64),
        Literal::Double(_) => Some(EdmType::Double),
        Literal::String(_) => Some(EdmType::String),
        Literal::DateTime(_) => Some(EdmType::DateTimeOffset),
        Literal::Enum { .. } => Some(EdmType::String),
    }
}
