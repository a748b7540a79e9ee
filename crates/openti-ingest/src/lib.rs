//! openti-ingest
