//! The properties the fuzz targets check, shared with the regression test in `crates/chittyid/tests/fuzz_inputs.rs`
//! that replays saved inputs in the normal test suite. Every function accepts any bytes and panics only when a
//! property fails.

use chittyid::ServiceUrl;
use chittyid::format::{ChittyId, EntityType};
use chittyid::wire::{BatchReply, ErrorReply, HealthReply, MintReply, ValidateReply};

/// Checks that `ChittyId::parse` does not panic on `data`, and that an accepted ID prints to text that parses back
/// to the same ID.
pub fn id_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(id) = ChittyId::parse(text) else { return };

    let printed = id.to_string();
    let reparsed = ChittyId::parse(&printed).expect("a printed ID parses again");
    assert_eq!(reparsed, id, "the printed ID {printed:?} parses to another ID");
    assert_eq!(reparsed.to_string(), printed, "printing is not stable for {printed:?}");
}

/// Checks that `EntityType::from_str` does not panic on `data`, and that an accepted type parses again from its word
/// and its letter.
pub fn entity_type(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(entity) = text.parse::<EntityType>() else { return };

    assert_eq!(entity.word().parse::<EntityType>().ok(), Some(entity), "the word of {entity:?} does not parse back");
    let letter = entity.letter().to_string();
    assert_eq!(letter.parse::<EntityType>().ok(), Some(entity), "the letter of {entity:?} does not parse back");
}

/// Checks that `ServiceUrl::parse` and `parse_allowing_http` do not panic on `data`, that the strict parser accepts
/// nothing the lenient one rejects, and that an accepted URL joins paths and parses again from its normalised form.
pub fn service_url(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let strict = ServiceUrl::parse(text);
    let lenient = ServiceUrl::parse_allowing_http(text);
    if strict.is_ok() {
        assert!(lenient.is_ok(), "parse accepts {text:?} but parse_allowing_http rejects it");
    }
    if let Ok(url) = lenient {
        let _ = url.join("/mint");
        let _ = url.is_loopback();
        let reparsed = ServiceUrl::parse_allowing_http(url.as_url().as_str());
        assert!(reparsed.is_ok(), "the normalised URL {} does not parse again", url.as_url());
    }
}

/// Checks that decoding `data` as each reply type does not panic, that the IDs a client would parse from a decoded
/// reply do not panic the parser, and that a decoded reply encodes and decodes back to itself.
///
/// NOTE: the client's own reply handling (`client::outcome`) is private to the crate, so this repeats its steps on
/// the public types instead of calling it.
pub fn wire_replies(data: &[u8]) {
    if let Ok(reply) = serde_json::from_slice::<MintReply>(data) {
        if let Some(id) = &reply.chitty_id {
            let _ = ChittyId::parse(id);
        }
        round_trip(&reply);
    }
    if let Ok(reply) = serde_json::from_slice::<BatchReply>(data) {
        let results = reply.results.iter().filter_map(|result| result.chitty_id.as_ref());
        for id in reply.chitty_ids.iter().chain(results) {
            let _ = ChittyId::parse(id);
        }
        round_trip(&reply);
    }
    if let Ok(reply) = serde_json::from_slice::<ValidateReply>(data) {
        for id in [&reply.old_id, &reply.new_id].into_iter().flatten() {
            let _ = ChittyId::parse(id);
        }
        round_trip(&reply);
    }
    if let Ok(reply) = serde_json::from_slice::<HealthReply>(data) {
        let _ = reply.is_healthy();
        round_trip(&reply);
    }
    if let Ok(reply) = serde_json::from_slice::<ErrorReply>(data) {
        round_trip(&reply);
    }
    let _ = serde_json::from_slice::<ChittyId>(data);
}

/// Encodes a decoded reply and decodes it again; the result must equal the first decode.
fn round_trip<T>(reply: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = serde_json::to_vec(reply).expect("a decoded reply encodes");
    let again: T = serde_json::from_slice(&bytes).expect("an encoded reply decodes");
    assert_eq!(&again, reply, "a reply changed when encoded and decoded again");
}
