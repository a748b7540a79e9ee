//! Analysis over stored facts. For now: the host reputation engine.

pub mod reputation;

pub use reputation::{score_host, RULES};
