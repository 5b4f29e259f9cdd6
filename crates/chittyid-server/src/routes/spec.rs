//! `GET /api/spec`: the ID format, entity types, regions and trust levels this service issues.

use axum::Json;
use chittyid::format::{EntityType, FORMAT, LEGACY_CODES, MAX_SEQUENCE};
use serde_json::{Value, json};

use crate::store::FIRST_SEQUENCE;

/// `GET /api/spec`.
pub(crate) async fn spec() -> Json<Value> {
    let entity_types: Vec<Value> = EntityType::ALL
        .into_iter()
        .map(|entity| {
            let legacy: Vec<&str> =
                LEGACY_CODES.iter().filter(|(_, mapped)| *mapped == entity).map(|(code, _)| *code).collect();
            json!({ "letter": entity.letter().to_string(), "word": entity.word(), "legacyCodes": legacy })
        })
        .collect();
    Json(json!({
        "success": true,
        "format": FORMAT,
        "version": "03",
        "pattern": "^\\d{2}-[0-9]-[A-Z]{3}-\\d{4}-[PLTEA]-\\d{4}-[0-5]-\\d{2}$",
        "entityTypes": entity_types,
        "regions": {
            "1": "North America", "2": "South America", "3": "Europe", "4": "Asia", "5": "Africa",
            "6": "Oceania", "7": "Antarctica", "8": "International waters", "9": "Digital/virtual",
            "0": "Fallback IDs only"
        },
        "jurisdiction": "ISO 3166-1 alpha-3 code, upper case (USA); ERR marks fallback IDs",
        "sequence": {
            "scope": "region, jurisdiction, entity type and month",
            "first": FIRST_SEQUENCE,
            "max": MAX_SEQUENCE,
            "onExhaustion": "SEQUENCE_EXHAUSTED"
        },
        "trustLevels": [
            { "level": 0, "name": "unverified" },
            { "level": 1, "name": "basic" },
            { "level": 2, "name": "enhanced" },
            { "level": 3, "name": "professional" },
            { "level": 4, "name": "institutional" },
            { "level": 5, "name": "official" }
        ],
        "checkValue": "over the first seven fields without hyphens: r = 0; a digit d gives r = (10r + d) mod 97, \
                       a letter gives r = (100r + 10 + (letter - 'A')) mod 97; XX = (98 - r) mod 97"
    }))
}
