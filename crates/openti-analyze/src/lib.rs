//! Analysis over facts: the host reputation engine, CVSS calculators (v2, v3.0, v3.1, v4.0),
//! the vulnerability `priorityScore` formula, and IoC extraction from free text.

pub mod cvss;
pub mod fingerprint;
pub mod ioc;
pub mod priority;
pub mod reputation;
pub mod web;

pub use reputation::{score_host, Engine};
