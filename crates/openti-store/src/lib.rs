//! openti-store
