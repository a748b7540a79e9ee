//! OpenTI's entity model: the Graph threat-intelligence types (entities, complex types, enums),
//! the schema table that drives `$metadata`, `$select` and `$filter` validation, deterministic
//! ids, name normalisation and the [`Observation`] that every source produces.

pub mod complex;
pub mod entities;
pub mod enums;
pub mod evidence;
pub mod ids;
pub mod lists;
pub mod normalize;
pub mod observation;
pub mod schema;

pub use complex::*;
pub use entities::*;
pub use enums::*;
pub use observation::{Observation, ObservationError, Seen, Window};
