//! The local ChittyID service (being written).
#![forbid(unsafe_code)]
