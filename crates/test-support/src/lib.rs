//! Test support (being written).
#![forbid(unsafe_code)]
