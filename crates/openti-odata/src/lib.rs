//! openti-odata
