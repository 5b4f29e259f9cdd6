//! Checks of the mint parameters: entity type, region, jurisdiction and trust level, each with its default.
//!
//! A rejected value produces the message the hosted service uses (`Invalid entityType: …`), sent with status 200
//! and `success:false`.

use chittyid::format::{EntityType, FALLBACK_JURISDICTION, MAX_TRUST};
use serde_json::Value;

use crate::store::writer::MintSpec;

/// The region used when a request names none (1, North America).
pub(crate) const DEFAULT_REGION: u8 = 1;
/// The jurisdiction used when a request names none.
pub(crate) const DEFAULT_JURISDICTION: &str = "USA";
/// The trust level used when a request names none (0, unverified).
pub(crate) const DEFAULT_TRUST: u8 = 0;

/// How many characters of a rejected value a message repeats.
const ECHO_LIMIT: usize = 64;

/// The raw mint parameters of one request or batch entry, as text.
#[derive(Debug, Default, Clone)]
pub(crate) struct RawParams {
    pub(crate) entity: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) jurisdiction: Option<String>,
    pub(crate) trust: Option<String>,
}

impl RawParams {
    /// Fills the parameters this one lacks from `defaults` (a batch entry from the batch's query string).
    pub(crate) fn or(self, defaults: &RawParams) -> RawParams {
        RawParams {
            entity: self.entity.or_else(|| defaults.entity.clone()),
            region: self.region.or_else(|| defaults.region.clone()),
            jurisdiction: self.jurisdiction.or_else(|| defaults.jurisdiction.clone()),
            trust: self.trust.or_else(|| defaults.trust.clone()),
        }
    }

    /// Checks every parameter and applies the defaults.
    pub(crate) fn into_spec(self) -> Result<MintSpec, String> {
        let entity = match self.entity.as_deref().map(str::trim) {
            None | Some("") => return Err("Invalid entityType: missing".to_owned()),
            Some(text) => text.parse::<EntityType>().map_err(|_| format!("Invalid entityType: {}", echo(text)))?,
        };
        let region = match self.region.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_REGION,
            Some(text) => text
                .parse::<u8>()
                .ok()
                .filter(|region| (1..=9).contains(region))
                .ok_or_else(|| format!("Invalid region: {} (expected 1-9)", echo(text)))?,
        };
        let jurisdiction = match self.jurisdiction.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_JURISDICTION.to_owned(),
            Some(text) => parse_jurisdiction(text)?,
        };
        let trust = match self.trust.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_TRUST,
            Some(text) => text
                .parse::<u8>()
                .ok()
                .filter(|trust| *trust <= MAX_TRUST)
                .ok_or_else(|| format!("Invalid trust: {} (expected 0-5)", echo(text)))?,
        };
        Ok(MintSpec { region, jurisdiction, entity, trust })
    }
}

fn parse_jurisdiction(text: &str) -> Result<String, String> {
    let upper = text.to_ascii_uppercase();
    if upper.len() != 3 || !upper.bytes().all(|byte| byte.is_ascii_uppercase()) {
        return Err(format!("Invalid jurisdiction: {} (expected an ISO 3166-1 alpha-3 code such as USA)", echo(text)));
    }
    if upper == FALLBACK_JURISDICTION {
        return Err("Invalid jurisdiction: ERR (reserved for fallback IDs)".to_owned());
    }
    Ok(upper)
}

/// Bounds a rejected value before it is repeated in a message.
fn echo(text: &str) -> String {
    text.chars().take(ECHO_LIMIT).collect()
}

/// Renders a JSON value as parameter text: strings as they are, numbers and other values as JSON.
pub(crate) fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// Reads the entity type of a mint body: `entityType`, else the legacy `entity`.
pub(crate) fn entity_of(object: &serde_json::Map<String, Value>) -> Option<String> {
    object.get("entityType").or_else(|| object.get("entity")).and_then(text_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(entity: &str) -> RawParams {
        RawParams { entity: Some(entity.to_owned()), ..RawParams::default() }
    }

    #[test]
    fn defaults_apply() {
        let spec = params("person").into_spec().unwrap();
        assert_eq!((spec.region, spec.jurisdiction.as_str(), spec.trust), (1, "USA", 0));
    }

    #[test]
    fn legacy_code_maps_to_type() {
        assert_eq!(params("PROP").into_spec().unwrap().entity, EntityType::Thing);
    }

    #[test]
    fn lower_case_jurisdiction_is_upper_cased() {
        let spec = RawParams { jurisdiction: Some("gbr".into()), ..params("P") }.into_spec().unwrap();
        assert_eq!(spec.jurisdiction, "GBR");
    }

    #[test]
    fn unknown_type_is_rejected_with_live_message() {
        assert_eq!(params("vehicle").into_spec().unwrap_err(), "Invalid entityType: vehicle");
    }

    #[test]
    fn region_zero_is_rejected() {
        let error = RawParams { region: Some("0".into()), ..params("P") }.into_spec().unwrap_err();
        assert!(error.starts_with("Invalid region"), "{error}");
    }

    #[test]
    fn trust_six_is_rejected() {
        let error = RawParams { trust: Some("6".into()), ..params("P") }.into_spec().unwrap_err();
        assert!(error.starts_with("Invalid trust"), "{error}");
    }

    #[test]
    fn err_jurisdiction_is_rejected() {
        let error = RawParams { jurisdiction: Some("err".into()), ..params("P") }.into_spec().unwrap_err();
        assert!(error.contains("reserved"), "{error}");
    }
}
