//! Fuzzes `ChittyId::parse` and checks the property in `checks::id_parse`.

#![no_main]

#[allow(dead_code, reason = "each target uses one of the shared checks")]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::id_parse(data));
