//! Fuzzes decoding of every service reply type from JSON bytes and checks the property in `checks::wire_replies`.

#![no_main]

#[allow(dead_code, reason = "each target uses one of the shared checks")]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::wire_replies(data));
