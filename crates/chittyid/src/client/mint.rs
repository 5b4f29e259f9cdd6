//! The [`Mint`] request: entity type, optional region, jurisdiction, trust and metadata, and an idempotency key.

use crate::format::{EntityType, MAX_TRUST};
use crate::wire::{BatchEntry, MintQuery, MintRequest};

/// The maximum length of an idempotency key, in bytes.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// A request to mint one ChittyID.
///
/// Each `Mint` carries an idempotency key, generated as a UUID v4 when the value is created unless the caller sets
/// one. Sending the same `Mint` again (a clone, or the same value) sends the same key, so a service that honours the
/// `Idempotency-Key` header returns the ID it minted the first time instead of minting a second one.
///
/// Field ranges are checked when the request is sent, and a value out of range is a configuration error that
/// sends nothing.
///
/// # Examples
///
/// ```
/// use chittyid::Mint;
/// use chittyid::format::EntityType;
///
/// let mint = Mint::new(EntityType::Person).region(3).jurisdiction("GBR").trust(2);
/// assert_eq!(mint.entity_type(), EntityType::Person);
/// assert!(!mint.key().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mint {
    entity: EntityType,
    region: Option<u8>,
    jurisdiction: Option<String>,
    trust: Option<u8>,
    metadata: Option<serde_json::Value>,
    idempotency_key: String,
}

impl Mint {
    /// Creates a request for one ID of `entity` type, with a fresh idempotency key.
    pub fn new(entity: EntityType) -> Mint {
        Mint {
            entity,
            region: None,
            jurisdiction: None,
            trust: None,
            metadata: None,
            idempotency_key: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Sets the region, 1–9 (1 North America … 9 digital). Default is the service's choice (1 for the hosted one).
    pub fn region(mut self, region: u8) -> Mint {
        self.region = Some(region);
        self
    }

    /// Sets the ISO 3166-1 alpha-3 jurisdiction, such as `GBR`; lower case is converted to upper case. Default is
    /// the service's choice (`USA` for the hosted one).
    pub fn jurisdiction(mut self, jurisdiction: impl Into<String>) -> Mint {
        self.jurisdiction = Some(jurisdiction.into());
        self
    }

    /// Sets the trust level, 0–5. Default is the service's choice (0 for the hosted one).
    pub fn trust(mut self, trust: u8) -> Mint {
        self.trust = Some(trust);
        self
    }

    /// Attaches free-form metadata stored with the mint. Default is none.
    pub fn metadata(mut self, metadata: serde_json::Value) -> Mint {
        self.metadata = Some(metadata);
        self
    }

    /// Replaces the generated idempotency key with the caller's, such as an order number, so that a mint repeated
    /// after a restart returns the same ID. The key is 1–255 visible ASCII characters.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Mint {
        self.idempotency_key = key.into();
        self
    }

    /// Returns the entity type.
    pub fn entity_type(&self) -> EntityType {
        self.entity
    }

    /// Returns the idempotency key sent with this request.
    pub fn key(&self) -> &str {
        &self.idempotency_key
    }

    /// Checks every field, returning what is wrong with the first bad one.
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(region) = self.region
            && !(1..=9).contains(&region)
        {
            return Err(format!("invalid region {region}: expected 1-9"));
        }
        if let Some(jurisdiction) = &self.jurisdiction
            && (jurisdiction.len() != 3 || !jurisdiction.bytes().all(|byte| byte.is_ascii_alphabetic()))
        {
            let truncated: String = jurisdiction.chars().take(16).collect();
            return Err(format!("invalid jurisdiction {truncated:?}: expected 3 letters (ISO 3166-1 alpha-3)"));
        }
        if let Some(trust) = self.trust
            && trust > MAX_TRUST
        {
            return Err(format!("invalid trust level {trust}: expected 0-{MAX_TRUST}"));
        }
        check_key(&self.idempotency_key)
    }

    pub(crate) fn body(&self) -> MintRequest {
        MintRequest { entity_type: self.entity.word().to_owned(), metadata: self.metadata.clone() }
    }

    pub(crate) fn query(&self) -> MintQuery {
        MintQuery {
            region: self.region,
            jurisdiction: self.jurisdiction.as_ref().map(|code| code.to_ascii_uppercase()),
            trust: self.trust,
        }
    }

    pub(crate) fn batch_entry(&self) -> BatchEntry {
        BatchEntry { request: self.body(), query: self.query() }
    }
}

/// Checks that an idempotency key fits in a header: 1–255 visible ASCII characters.
pub(crate) fn check_key(key: &str) -> Result<(), String> {
    let visible = key.bytes().all(|byte| byte.is_ascii_graphic());
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN || !visible {
        return Err(format!(
            "invalid idempotency key ({} bytes): expected 1-{MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters",
            key.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_mints_get_distinct_keys() {
        assert_ne!(Mint::new(EntityType::Thing).key(), Mint::new(EntityType::Thing).key());
    }

    #[test]
    fn clone_keeps_the_key() {
        let mint = Mint::new(EntityType::Thing);
        assert_eq!(mint.clone().key(), mint.key());
    }

    #[test]
    fn valid_fields_pass() {
        let mint = Mint::new(EntityType::Place).region(9).jurisdiction("gbr").trust(5).idempotency_key("order-17");
        assert_eq!(mint.check(), Ok(()));
        assert_eq!(mint.query().jurisdiction.as_deref(), Some("GBR"));
    }

    #[test]
    fn out_of_range_fields_fail() {
        let cases = [
            Mint::new(EntityType::Person).region(0),
            Mint::new(EntityType::Person).region(10),
            Mint::new(EntityType::Person).jurisdiction("GB"),
            Mint::new(EntityType::Person).jurisdiction("G1R"),
            Mint::new(EntityType::Person).trust(6),
            Mint::new(EntityType::Person).idempotency_key(""),
            Mint::new(EntityType::Person).idempotency_key("has space"),
            Mint::new(EntityType::Person).idempotency_key("k".repeat(256)),
        ];
        for mint in cases {
            assert!(mint.check().is_err(), "{mint:?}");
        }
    }

    #[test]
    fn body_sends_the_word() {
        assert_eq!(Mint::new(EntityType::Authority).body().entity_type, "authority");
    }
}
