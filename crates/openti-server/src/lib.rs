//! openti-server
