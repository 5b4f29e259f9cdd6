//! The `components` object of service replies: every field of an ID as a string.

use serde::{Deserialize, Serialize};

use super::id::ChittyId;

/// The fields of an ID as strings, as the service returns them beside `chittyId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Components {
    /// `VV`.
    pub version: String,
    /// `G`.
    pub region: String,
    /// `LLL`.
    pub jurisdiction: String,
    /// `SSSS`.
    pub sequence: String,
    /// `T`, the letter.
    pub entity_type: String,
    /// `YYMM`.
    pub year_month: String,
    /// `C`.
    pub trust_level: String,
    /// `XX`.
    pub checksum: String,
}

impl From<&ChittyId> for Components {
    fn from(id: &ChittyId) -> Components {
        Components {
            version: format!("{:02}", id.version()),
            region: id.region().to_string(),
            jurisdiction: id.jurisdiction().to_owned(),
            sequence: format!("{:04}", id.sequence()),
            entity_type: id.entity_type().letter().to_string(),
            year_month: format!("{:02}{:02}", id.year(), id.month()),
            trust_level: id.trust().to_string(),
            checksum: format!("{:02}", id.check_value()),
        }
    }
}
