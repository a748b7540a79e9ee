//! Schema table (filled in below).
