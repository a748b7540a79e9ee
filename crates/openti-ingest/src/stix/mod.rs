//! STIX 2.0 / 2.1 bundles: the patterning language ([`pattern`], [`observables`]), the
//! first-pass index of names and relationships ([`index`]), the object mapping ([`map`]) and the
//! two-pass streaming reader ([`reader`]). The mapping is documented in `docs/intel-import.md`.

pub mod index;
pub mod map;
pub mod observables;
pub mod pattern;
pub mod reader;

pub use map::{article_id, profile_id, MapOptions};
pub use reader::{prepare, StixInputs};
