//! openti-analyze
