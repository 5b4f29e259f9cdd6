//! Fuzzes `ServiceUrl::parse` and `ServiceUrl::parse_allowing_http` and checks the property in `checks::service_url`.

#![no_main]

#[allow(dead_code, reason = "each target uses one of the shared checks")]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::service_url(data));
