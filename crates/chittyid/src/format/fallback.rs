//! Fallback IDs: the provisional, error-coded IDs the service issues while its upstream mint is down.

use std::fmt;

/// Why the service issued a fallback ID; the `SSSS` field of a `03-0-ERR-…` ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FallbackReason {
    /// `0001`: the mint was unavailable.
    MintUnavailable,
    /// `0002`: the mint timed out.
    MintTimeout,
    /// `0003`: the mint rejected the request.
    MintRejected,
    /// `0004`: the randomness beacon was unavailable.
    BeaconUnavailable,
    /// `0005`: the certificate service was unavailable.
    CertificateUnavailable,
    /// `0006`: the trust service was unavailable.
    TrustUnavailable,
    /// `0007`: the caller was rate limited.
    RateLimited,
    /// `0008`: the request was invalid.
    InvalidRequest,
    /// `0099`: an internal error.
    Internal,
    /// A code this version does not know.
    Unknown(u16),
}

impl FallbackReason {
    /// Maps the numeric error code of a fallback ID.
    pub fn from_code(code: u16) -> FallbackReason {
        match code {
            1 => FallbackReason::MintUnavailable,
            2 => FallbackReason::MintTimeout,
            3 => FallbackReason::MintRejected,
            4 => FallbackReason::BeaconUnavailable,
            5 => FallbackReason::CertificateUnavailable,
            6 => FallbackReason::TrustUnavailable,
            7 => FallbackReason::RateLimited,
            8 => FallbackReason::InvalidRequest,
            99 => FallbackReason::Internal,
            other => FallbackReason::Unknown(other),
        }
    }

    /// Returns the numeric error code.
    pub fn code(self) -> u16 {
        match self {
            FallbackReason::MintUnavailable => 1,
            FallbackReason::MintTimeout => 2,
            FallbackReason::MintRejected => 3,
            FallbackReason::BeaconUnavailable => 4,
            FallbackReason::CertificateUnavailable => 5,
            FallbackReason::TrustUnavailable => 6,
            FallbackReason::RateLimited => 7,
            FallbackReason::InvalidRequest => 8,
            FallbackReason::Internal => 99,
            FallbackReason::Unknown(code) => code,
        }
    }
}

impl fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FallbackReason::MintUnavailable => f.write_str("mint unavailable"),
            FallbackReason::MintTimeout => f.write_str("mint timed out"),
            FallbackReason::MintRejected => f.write_str("mint rejected the request"),
            FallbackReason::BeaconUnavailable => f.write_str("randomness beacon unavailable"),
            FallbackReason::CertificateUnavailable => f.write_str("certificate unavailable"),
            FallbackReason::TrustUnavailable => f.write_str("trust service unavailable"),
            FallbackReason::RateLimited => f.write_str("rate limited"),
            FallbackReason::InvalidRequest => f.write_str("invalid request"),
            FallbackReason::Internal => f.write_str("internal error"),
            FallbackReason::Unknown(code) => write!(f, "unknown error code {code:04}"),
        }
    }
}
