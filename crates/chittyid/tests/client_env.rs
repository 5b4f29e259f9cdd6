//! `ClientBuilder::from_env`: the base URL from `CHITTYID_SERVICE_URL` and the token from `CHITTY_ID_TOKEN`.
//!
//! This binary contains a single test, because it changes the process environment, which other threads could read.

use chittyid::ClientBuilder;
use chittyid::client::{ErrorKind, Operation};

const SECRET: &str = "tok-ENV-SECRET-81c2";

#[test]
fn from_env_url_and_token() {
    // SAFETY: this is the binary's only test and it starts no threads, so nothing reads the environment meanwhile.
    unsafe {
        std::env::set_var("CHITTYID_SERVICE_URL", "http://127.0.0.1:7");
        std::env::set_var("CHITTY_ID_TOKEN", SECRET);
    }
    let client = ClientBuilder::from_env().build().unwrap();
    let debug_output = format!("{client:?}");
    assert_eq!(client.base_url().to_string(), "http://127.0.0.1:7");
    assert!(debug_output.contains("token: <redacted>"), "{debug_output}");
    assert!(!debug_output.contains(SECRET), "{debug_output}");

    // SAFETY: as above.
    unsafe {
        std::env::set_var("CHITTYID_SERVICE_URL", "http://chittyid.example");
    }
    let error = ClientBuilder::from_env().build().unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Config { .. }), "{error:?}");
    assert_eq!(error.operation(), Operation::Build);
    let source = std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default();
    assert!(source.contains("non-loopback"), "{source}");
    assert!(!error.to_string().contains(SECRET), "{error}");
    assert!(!format!("{error:?}").contains(SECRET), "{error:?}");

    // SAFETY: as above.
    unsafe {
        std::env::remove_var("CHITTYID_SERVICE_URL");
        std::env::remove_var("CHITTY_ID_TOKEN");
    }
    let client = ClientBuilder::from_env().build().unwrap();
    assert_eq!(client.base_url().to_string(), "https://id.chitty.cc");
    assert!(format!("{client:?}").contains("token: None"), "{client:?}");
}
