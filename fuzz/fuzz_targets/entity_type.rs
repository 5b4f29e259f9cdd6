//! Fuzzes `EntityType::from_str` and checks the property in `checks::entity_type`.

#![no_main]

#[allow(dead_code, reason = "each target uses one of the shared checks")]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::entity_type(data));
