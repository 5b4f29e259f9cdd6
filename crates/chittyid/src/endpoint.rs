//! The service's base URL, checked once when a client or manager is built.
//!
//! Plain `http://` is accepted only for loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`) unless the caller opts
//! in, because the bearer token travels in every request. URLs that carry a user name or password are rejected, so
//! that no credential can reach an error message or a log line through the URL.

use std::fmt;
use std::net::IpAddr;

use url::Url;

/// The hosted service, used when neither the caller nor `CHITTYID_SERVICE_URL` names another.
pub const DEFAULT_SERVICE_URL: &str = "https://id.chitty.cc";

/// The environment variable that overrides [`DEFAULT_SERVICE_URL`].
pub const SERVICE_URL_ENV: &str = "CHITTYID_SERVICE_URL";

/// A validated base URL of a ChittyID service, such as `https://id.chitty.cc` or `http://127.0.0.1:8080`.
///
/// Paths are appended to it as they are: `http://host/prefix` plus `/mint` is `http://host/prefix/mint`. No `/api/v1`
/// prefix is guessed.
///
/// # Examples
///
/// ```
/// use chittyid::ServiceUrl;
///
/// let url = ServiceUrl::parse("http://127.0.0.1:8080")?;
/// assert_eq!(url.join("/mint").as_str(), "http://127.0.0.1:8080/mint");
/// assert!(ServiceUrl::parse("http://example.com").is_err());
/// assert!(ServiceUrl::parse_allowing_http("http://example.com").is_ok());
/// # Ok::<(), chittyid::UrlError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ServiceUrl {
    url: Url,
}

/// A base URL that cannot be used; the variant names the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The text is not a URL.
    #[error("invalid service URL {input:?}")]
    Invalid {
        /// The rejected text, up to 200 characters.
        input: String,
        /// The parse error.
        #[source]
        source: url::ParseError,
    },
    /// The scheme is neither `https` nor `http`.
    #[error("unsupported scheme {scheme:?} in service URL: use https:// (or http:// on loopback)")]
    UnsupportedScheme {
        /// The rejected scheme.
        scheme: String,
    },
    /// Plain `http://` to a host that is not loopback, without the caller's consent.
    #[error(
        "plain http:// to non-loopback host {host:?} would expose the token: use https://, or opt in to insecure http"
    )]
    InsecureHttp {
        /// The host that is not loopback.
        host: String,
    },
    /// The URL carries a user name or password.
    #[error("service URL must not contain credentials: pass the token separately")]
    Credentials,
    /// The URL carries a query or fragment, which would be lost or misread when paths are appended.
    #[error("service URL must not contain a query or fragment")]
    QueryOrFragment,
}

impl ServiceUrl {
    /// Parses a base URL, accepting plain `http://` only for loopback hosts.
    ///
    /// # Errors
    ///
    /// Returns [`UrlError`] when the text is not an `http(s)` URL, carries credentials, a query or a fragment, or
    /// uses plain `http://` to a host that is not loopback.
    pub fn parse(input: &str) -> Result<ServiceUrl, UrlError> {
        ServiceUrl::parse_with(input, false)
    }

    /// Parses a base URL, accepting plain `http://` to any host. Use only on networks you trust.
    ///
    /// # Errors
    ///
    /// As [`ServiceUrl::parse`], except for the loopback rule.
    pub fn parse_allowing_http(input: &str) -> Result<ServiceUrl, UrlError> {
        ServiceUrl::parse_with(input, true)
    }

    /// Reads `CHITTYID_SERVICE_URL`, or returns [`DEFAULT_SERVICE_URL`] when it is unset or empty.
    ///
    /// # Errors
    ///
    /// As [`ServiceUrl::parse`], for the variable's value.
    pub fn from_env() -> Result<ServiceUrl, UrlError> {
        match std::env::var(SERVICE_URL_ENV) {
            Ok(value) if !value.trim().is_empty() => ServiceUrl::parse(value.trim()),
            _ => ServiceUrl::parse(DEFAULT_SERVICE_URL),
        }
    }

    fn parse_with(input: &str, allow_http: bool) -> Result<ServiceUrl, UrlError> {
        let mut url = Url::parse(input.trim())
            .map_err(|source| UrlError::Invalid { input: input.chars().take(200).collect(), source })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(UrlError::QueryOrFragment);
        }
        match url.scheme() {
            "https" => {}
            "http" if allow_http || is_loopback(&url) => {}
            "http" => return Err(UrlError::InsecureHttp { host: url.host_str().unwrap_or_default().to_owned() }),
            other => return Err(UrlError::UnsupportedScheme { scheme: other.to_owned() }),
        }
        // A trailing slash would double up when "/mint" is appended.
        let trimmed = url.path().trim_end_matches('/').to_owned();
        url.set_path(&trimmed);
        Ok(ServiceUrl { url })
    }

    /// Appends `path` (starting with `/`) to the base URL.
    pub fn join(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// Returns the base URL.
    pub fn as_url(&self) -> &Url {
        &self.url
    }

    /// Tells whether the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.url)
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(url::Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        None => false,
    }
}

impl fmt::Display for ServiceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str().trim_end_matches('/'))
    }
}

impl fmt::Debug for ServiceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceUrl({self})")
    }
}

impl std::str::FromStr for ServiceUrl {
    type Err = UrlError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        ServiceUrl::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_is_accepted() {
        for input in ["http://127.0.0.1:1", "http://localhost:8080/", "http://[::1]:9", "http://127.8.0.1"] {
            assert!(ServiceUrl::parse(input).is_ok(), "{input}");
        }
    }

    #[test]
    fn remote_http_needs_consent() {
        assert!(matches!(ServiceUrl::parse("http://10.0.0.1"), Err(UrlError::InsecureHttp { .. })));
        assert!(ServiceUrl::parse_allowing_http("http://10.0.0.1").is_ok());
    }

    #[test]
    fn bad_urls_are_rejected() {
        assert!(matches!(ServiceUrl::parse("not a url"), Err(UrlError::Invalid { .. })));
        assert!(matches!(ServiceUrl::parse("ftp://id.chitty.cc"), Err(UrlError::UnsupportedScheme { .. })));
        assert!(matches!(ServiceUrl::parse("https://u:p@id.chitty.cc"), Err(UrlError::Credentials)));
        assert!(matches!(ServiceUrl::parse("https://id.chitty.cc/?a=1"), Err(UrlError::QueryOrFragment)));
    }

    #[test]
    fn join_keeps_the_base_path() {
        let url = ServiceUrl::parse("https://id.chitty.cc/prefix/").unwrap();
        assert_eq!(url.join("/mint").as_str(), "https://id.chitty.cc/prefix/mint");
        assert_eq!(url.to_string(), "https://id.chitty.cc/prefix");
        let root = ServiceUrl::parse(DEFAULT_SERVICE_URL).unwrap();
        assert_eq!(root.join("/health").as_str(), "https://id.chitty.cc/health");
    }
}
