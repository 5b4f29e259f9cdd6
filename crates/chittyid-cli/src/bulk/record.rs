//! One input record: its fields in input order, and the mint request they describe.

use chittyid::format::EntityType;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// The field that names the entity type.
pub(crate) const ENTITY_TYPE_FIELD: &str = "entityType";
/// The field that the output adds to each record.
pub(crate) const CHITTY_ID_FIELD: &str = "chittyId";

/// The fields of one record, in the order the input gave them.
///
/// `serde_json::Map` sorts its keys unless the crate's `preserve_order` feature is on, so records keep their own
/// ordered list, and pass through to the output with their field order intact.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fields(pub(crate) Vec<(String, Value)>);

impl Fields {
    /// Looks up a field by its exact name.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value)
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Fields, D::Error> {
        struct FieldsVisitor;

        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    if fields.iter().any(|(existing, _): &(String, Value)| *existing == key) {
                        return Err(serde::de::Error::custom(format!("duplicate field {key:?}")));
                    }
                    fields.push((key, value));
                }
                Ok(Fields(fields))
            }
        }

        deserializer.deserialize_map(FieldsVisitor)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A record read from the input, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    /// The line of the input file where the record starts.
    pub(crate) line: u64,
    /// The record's fields.
    pub(crate) fields: Fields,
}

/// The mint parameters read from a record's `entityType`, `region`, `jurisdiction` and `trust` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MintFields {
    /// The entity type from the record, or the job's default.
    pub(crate) entity: EntityType,
    /// Region 1-9, when the record names one.
    pub(crate) region: Option<u8>,
    /// Upper-case ISO 3166-1 alpha-3 code, when the record names one.
    pub(crate) jurisdiction: Option<String>,
    /// Trust level 0-5, when the record names one.
    pub(crate) trust: Option<u8>,
}

/// The reason a record cannot be minted, reported with its line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RecordError {
    /// The line is not a JSON object, or a CSV row does not match its header.
    #[error("malformed record: {0}")]
    Malformed(String),
    /// No `entityType` field and no `--entity` default.
    #[error("missing entityType, and no --entity default was given")]
    MissingEntity,
    /// A field contains a value out of range or of the wrong kind.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field's name.
        field: &'static str,
        /// The problem with the value.
        reason: String,
    },
    /// The record already carries a `chittyId`, which the output would overwrite.
    #[error("record already has a chittyId field")]
    AlreadyMinted,
}

impl Record {
    /// Reads the mint parameters, using `default_entity` when the record names no entity type.
    ///
    /// # Errors
    ///
    /// Returns [`RecordError`] naming the first field that is missing or invalid.
    pub(crate) fn mint_fields(&self, default_entity: Option<EntityType>) -> Result<MintFields, RecordError> {
        if self.fields.get(CHITTY_ID_FIELD).is_some_and(|value| !is_blank(value)) {
            return Err(RecordError::AlreadyMinted);
        }
        let entity = match self.fields.get(ENTITY_TYPE_FIELD).filter(|value| !is_blank(value)) {
            Some(Value::String(text)) => text.parse::<EntityType>().map_err(|error| invalid("entityType", error))?,
            Some(other) => return Err(invalid("entityType", format!("expected a string, found {other}"))),
            None => default_entity.ok_or(RecordError::MissingEntity)?,
        };
        let region = self.small_number("region", 1, 9)?;
        let trust = self.small_number("trust", 0, 5)?;
        let jurisdiction = match self.fields.get("jurisdiction").filter(|value| !is_blank(value)) {
            Some(Value::String(text)) => Some(parse_jurisdiction(text)?),
            Some(other) => return Err(invalid("jurisdiction", format!("expected a string, found {other}"))),
            None => None,
        };
        Ok(MintFields { entity, region, jurisdiction, trust })
    }

    /// Reads an optional whole number in `min..=max`, given as a JSON number or as a string of digits (CSV).
    fn small_number(&self, field: &'static str, min: u8, max: u8) -> Result<Option<u8>, RecordError> {
        let number = match self.fields.get(field).filter(|value| !is_blank(value)) {
            None => return Ok(None),
            Some(Value::Number(number)) => number.as_u64(),
            Some(Value::String(text)) => text.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        match number {
            Some(number) if (u64::from(min)..=u64::from(max)).contains(&number) => Ok(Some(number as u8)),
            _ => {
                let found = self.fields.get(field).map(Value::to_string).unwrap_or_default();
                Err(invalid(field, format!("expected a whole number {min}-{max}, found {found}")))
            }
        }
    }
}

fn parse_jurisdiction(text: &str) -> Result<String, RecordError> {
    let code = text.trim();
    if code.len() == 3 && code.bytes().all(|byte| byte.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(invalid("jurisdiction", format!("expected an ISO 3166-1 alpha-3 code such as USA, found {text:?}")))
    }
}

/// Treats `null` and empty strings (empty CSV cells) as absent.
fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        _ => false,
    }
}

fn invalid(field: &'static str, reason: impl ToString) -> RecordError {
    RecordError::InvalidField { field, reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Record {
        Record { line: 1, fields: serde_json::from_str(json).expect("test record is a JSON object") }
    }

    #[test]
    fn fields_keep_input_order() {
        let fields: Fields = serde_json::from_str(r#"{"z":1,"a":2,"m":3}"#).unwrap();
        let names: Vec<&str> = fields.0.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["z", "a", "m"]);
    }

    #[test]
    fn duplicate_field_is_rejected() {
        assert!(serde_json::from_str::<Fields>(r#"{"a":1,"a":2}"#).is_err());
    }

    #[test]
    fn words_letters_and_legacy_codes_name_the_type() {
        for (json, expected) in [
            (r#"{"entityType":"place"}"#, EntityType::Place),
            (r#"{"entityType":"E"}"#, EntityType::Event),
            (r#"{"entityType":"PEO"}"#, EntityType::Person),
        ] {
            assert_eq!(record(json).mint_fields(None).unwrap().entity, expected, "{json}");
        }
    }

    #[test]
    fn numbers_parse_from_json_and_csv_text() {
        let from_json = record(r#"{"entityType":"L","region":4,"trust":"2","jurisdiction":"afg"}"#);
        let fields = from_json.mint_fields(None).unwrap();
        assert_eq!(fields.region, Some(4));
        assert_eq!(fields.trust, Some(2));
        assert_eq!(fields.jurisdiction.as_deref(), Some("AFG"));
    }

    #[test]
    fn empty_cells_are_absent() {
        let fields = record(r#"{"entityType":"L","region":"","trust":null}"#).mint_fields(None).unwrap();
        assert_eq!(fields.region, None);
        assert_eq!(fields.trust, None);
    }

    #[test]
    fn out_of_range_region_is_rejected() {
        let error = record(r#"{"entityType":"L","region":12}"#).mint_fields(None).unwrap_err();
        assert!(matches!(error, RecordError::InvalidField { field: "region", .. }), "{error}");
    }

    #[test]
    fn unknown_entity_type_is_rejected() {
        let error = record(r#"{"entityType":"vehicle"}"#).mint_fields(None).unwrap_err();
        assert!(error.to_string().contains("vehicle"), "{error}");
    }

    #[test]
    fn default_entity_fills_a_missing_type() {
        let fields = record(r#"{"name":"x"}"#).mint_fields(Some(EntityType::Thing)).unwrap();
        assert_eq!(fields.entity, EntityType::Thing);
        assert_eq!(record(r#"{"name":"x"}"#).mint_fields(None), Err(RecordError::MissingEntity));
    }

    #[test]
    fn existing_chitty_id_is_rejected() {
        let error = record(r#"{"entityType":"P","chittyId":"03-1-USA-4448-P-2609-0-88"}"#).mint_fields(None);
        assert_eq!(error, Err(RecordError::AlreadyMinted));
    }
}
