//! The stored form of an idempotent request's reply.

use bytes::Bytes;

use super::StoreError;

/// The reply stored under an `Idempotency-Key`, replayed byte for byte when the same request comes again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// SHA-256 of the request's route, query string and body.
    pub fingerprint: [u8; 32],
    /// When the record was written (Unix seconds).
    pub created_unix: u64,
    /// The HTTP status of the reply.
    pub status: u16,
    /// The reply body.
    pub body: Bytes,
}

const HEADER_LEN: usize = 32 + 8 + 2;

impl IdempotencyRecord {
    /// Encodes the record as fingerprint, creation time (big-endian u64), status (big-endian u16), then the body.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_LEN + self.body.len());
        bytes.extend_from_slice(&self.fingerprint);
        bytes.extend_from_slice(&self.created_unix.to_be_bytes());
        bytes.extend_from_slice(&self.status.to_be_bytes());
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Decodes what [`IdempotencyRecord::encode`] wrote.
    pub(crate) fn decode(key: &str, bytes: &[u8]) -> Result<IdempotencyRecord, StoreError> {
        let corrupt = || StoreError::CorruptRecord { key: key.to_owned() };
        if bytes.len() < HEADER_LEN {
            return Err(corrupt());
        }
        let (fingerprint, rest) = bytes.split_at(32);
        let (created, rest) = rest.split_at(8);
        let (status, body) = rest.split_at(2);
        Ok(IdempotencyRecord {
            fingerprint: fingerprint.try_into().map_err(|_| corrupt())?,
            created_unix: u64::from_be_bytes(created.try_into().map_err(|_| corrupt())?),
            status: u16::from_be_bytes(status.try_into().map_err(|_| corrupt())?),
            body: Bytes::copy_from_slice(body),
        })
    }

    /// Tells whether the record is older than `retention_secs` at `now_unix` (both in seconds).
    pub(crate) fn is_expired(&self, now_unix: u64, retention_secs: u64) -> bool {
        self.created_unix.saturating_add(retention_secs) < now_unix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let record = IdempotencyRecord {
            fingerprint: [7; 32],
            created_unix: 1_800_000_000,
            status: 200,
            body: Bytes::from_static(b"{\"success\":true}"),
        };
        let decoded = IdempotencyRecord::decode("key", &record.encode()).unwrap();
        assert_eq!(decoded, record);
    }

    #[test]
    fn short_record_is_corrupt() {
        let error = IdempotencyRecord::decode("key", &[0; 10]).unwrap_err();
        assert!(matches!(error, StoreError::CorruptRecord { .. }), "{error:?}");
    }

    #[test]
    fn record_expires_after_retention() {
        let record = IdempotencyRecord { fingerprint: [0; 32], created_unix: 1_000, status: 200, body: Bytes::new() };
        assert!(!record.is_expired(1_000 + 86_400, 86_400));
        assert!(record.is_expired(1_000 + 86_401, 86_400));
    }
}
