//! Bearer-token checks: who may mint, and which tokens are rejected everywhere.
//!
//! # Why
//!
//! A client with a wrong token should learn it from its first health check, not from its first mint, so a token
//! that matches none of the configured ones gets 403 on every route. A request without any token still reaches
//! `/health`, so load balancers need no secret. Tokens are compared as SHA-256 digests in constant time against
//! every configured token, so the timing reveals neither which token nearly matched nor its length.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chittyid::Token;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::error::ApiError;
use crate::state::AppState;

/// The configured tokens, kept only as SHA-256 digests.
#[derive(Clone)]
pub(crate) struct TokenSet {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSet({} tokens)", self.digests.len())
    }
}

impl TokenSet {
    pub(crate) fn new(tokens: &[Token]) -> TokenSet {
        TokenSet { digests: tokens.iter().map(|token| digest(token.expose())).collect() }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Tells whether `presented` equals one of the tokens, in time that depends only on the number of tokens.
    pub(crate) fn matches(&self, presented: &str) -> bool {
        let presented = digest(presented);
        // Every digest is compared, with no early exit, so the time does not depend on which token matched.
        let mut found = Choice::from(0);
        for configured in &self.digests {
            found |= configured.ct_eq(&presented);
        }
        found.into()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// What the request may do, as decided by [`authenticate`]; handlers read it from the request extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The server has no tokens: anyone may mint.
    Open,
    /// The request carries a configured token.
    Authorized,
    /// The request carries no bearer token, and the server requires one for minting.
    Anonymous,
}

impl Caller {
    /// Checks that the caller may mint; 401 otherwise.
    pub(crate) fn require_mint(self) -> Result<(), ApiError> {
        match self {
            Caller::Open | Caller::Authorized => Ok(()),
            Caller::Anonymous => Err(ApiError::unauthorized()),
        }
    }
}

/// The bearer token of a request: absent, or present with its value.
#[derive(Debug, PartialEq, Eq)]
enum Presented<'a> {
    None,
    Bearer(&'a str),
    /// An `Authorization` header that is not valid text.
    Unreadable,
}

fn presented_token(headers: &HeaderMap) -> Presented<'_> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Presented::None };
    let Ok(value) = value.to_str() else { return Presented::Unreadable };
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Presented::Bearer(token.trim()),
        // Another scheme (Basic …) carries no bearer token; it is treated like no header at all.
        _ if !value.trim().eq_ignore_ascii_case("bearer") => Presented::None,
        _ => Presented::Bearer(""),
    }
}

/// Decides the [`Caller`] of every request; rejects a wrong token with 403 on every route.
pub(crate) async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let tokens = state.tokens();
    let caller = if tokens.is_empty() {
        Caller::Open
    } else {
        match presented_token(request.headers()) {
            Presented::None => Caller::Anonymous,
            Presented::Bearer(token) if tokens.matches(token) => Caller::Authorized,
            Presented::Bearer(_) | Presented::Unreadable => {
                tracing::debug!(path = request.uri().path(), "rejected a request with an unknown bearer token");
                return ApiError::forbidden().into_response();
            }
        }
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> TokenSet {
        TokenSet::new(&[Token::new("alpha-token"), Token::new("beta")])
    }

    #[test]
    fn configured_tokens_match() {
        assert!(set().matches("alpha-token"));
        assert!(set().matches("beta"));
    }

    #[test]
    fn other_tokens_do_not_match() {
        assert!(!set().matches("alpha"));
        assert!(!set().matches("alpha-token-and-more"));
        assert!(!set().matches(""));
    }

    #[test]
    fn empty_set_matches_nothing() {
        assert!(!TokenSet::new(&[]).matches(""));
    }

    #[test]
    fn bearer_header_is_parsed_in_any_case() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "bEaReR  abc ".parse().unwrap());
        assert_eq!(presented_token(&headers), Presented::Bearer("abc"));
    }

    #[test]
    fn other_scheme_counts_as_no_token() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Basic dXNlcjpwdw==".parse().unwrap());
        assert_eq!(presented_token(&headers), Presented::None);
    }

    #[test]
    fn token_set_debug_hides_tokens() {
        assert_eq!(format!("{:?}", set()), "TokenSet(2 tokens)");
    }
}
