//! The bearer token, kept out of `Debug` output, logs and errors.

use std::fmt;

/// A bearer token for the ChittyID service.
///
/// Its `Debug` output is `Token(<redacted>)` and it has no `Display`, so it cannot leak into a log line or an error
/// message by accident. [`Token::expose`] is the one way to read it, for building the `Authorization` header.
///
/// # Examples
///
/// ```
/// let token = chittyid::Token::new("s3cret");
/// assert_eq!(format!("{token:?}"), "Token(<redacted>)");
/// assert_eq!(token.expose(), "s3cret");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    /// Reads the token from `CHITTY_ID_TOKEN`; `None` when it is unset or empty.
    pub fn from_env() -> Option<Token> {
        std::env::var("CHITTY_ID_TOKEN").ok().filter(|token| !token.is_empty()).map(Token)
    }

    /// Returns the token itself. Use it only to build the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}
