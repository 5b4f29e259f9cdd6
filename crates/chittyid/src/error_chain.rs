//! Formatting an error with its causes on one line.

use std::error::Error;

/// Formats `error` and every error in its `source()` chain as `outer: inner: root`.
///
/// The errors of this crate keep their causes out of their own `Display` output, so a log line or a message for a
/// user needs the whole chain.
///
/// # Examples
///
/// ```
/// let error = chittyid::ServiceUrl::parse("not a url").unwrap_err();
/// assert_eq!(chittyid::error_chain(&error), "invalid service URL \"not a url\": relative URL without a base");
/// ```
pub fn error_chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
