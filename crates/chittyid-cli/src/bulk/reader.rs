//! Reading JSON Lines and CSV input into records, keeping each record's line number.
//!
//! A malformed line does not stop the read: it becomes a [`Rejected`] entry with its line number, so that one bad
//! row in a large file costs that row only.

use std::path::Path;

use anyhow::Context;
use serde_json::Value;

use super::record::{Fields, Record, RecordError};
use crate::exit::UsageError;

/// The largest input file read, in bytes. The whole file is held in memory and hashed.
// NOTE: a fixed guess at what fits in memory next to the records; larger inputs need a streaming reader.
pub(crate) const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

/// A record file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// One JSON object per line; blank lines are skipped.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

impl Format {
    /// Picks the format from a file's extension: `.csv` is CSV, `.jsonl`, `.ndjson` and `.json` are JSON Lines.
    pub(crate) fn from_extension(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// A line that could not be read as a record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rejected {
    /// The line of the input file, 1-based.
    pub(crate) line: u64,
    /// The reason the line was rejected.
    pub(crate) error: String,
    /// The record as JSON text: its fields when it was parsed, else the line's text or the row's cells.
    pub(crate) record: String,
}

impl Rejected {
    /// Sets aside a parsed record for `error`.
    pub(crate) fn of_record(record: &Record, error: String) -> Rejected {
        let text = serde_json::to_string(&record.fields).unwrap_or_else(|_| "null".to_owned());
        Rejected { line: record.line, error, record: text }
    }
}

/// Everything read from an input file.
#[derive(Debug, Default)]
pub(crate) struct Input {
    /// Records in input order.
    pub(crate) records: Vec<Record>,
    /// Lines that are not records, in input order.
    pub(crate) rejected: Vec<Rejected>,
    /// CSV header names, in order; empty for JSON Lines.
    pub(crate) header: Vec<String>,
}

/// Checks that the input file exists, is a regular file and can be opened, before any work starts.
///
/// # Errors
///
/// Fails with a [`UsageError`] (exit code 2) when it cannot be read.
pub(crate) fn check_input(path: &Path) -> anyhow::Result<()> {
    let unreadable = |reason: String| UsageError(format!("cannot read input file {}: {reason}", path.display()));
    let metadata = std::fs::metadata(path).map_err(|error| unreadable(error.to_string()))?;
    if !metadata.is_file() {
        return Err(unreadable("not a regular file".to_owned()).into());
    }
    std::fs::File::open(path).map_err(|error| unreadable(error.to_string()))?;
    Ok(())
}

/// Reads the input file's bytes, refusing files larger than [`MAX_INPUT_BYTES`].
///
/// # Errors
///
/// Fails with a [`UsageError`] when the file cannot be read or is too large.
pub(crate) fn read_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
    check_input(path)?;
    let size = std::fs::metadata(path).with_context(|| format!("cannot read input file {}", path.display()))?.len();
    if size > MAX_INPUT_BYTES {
        let reason =
            format!("input file {} has {size} bytes, more than the limit of {MAX_INPUT_BYTES}", path.display());
        return Err(UsageError(reason).into());
    }
    std::fs::read(path)
        .map_err(|error| UsageError(format!("cannot read input file {}: {error}", path.display())).into())
}

/// Parses the input's bytes in the given format.
///
/// # Errors
///
/// Fails only when a CSV header row is unreadable; bad records are returned in [`Input::rejected`].
pub(crate) fn parse(bytes: &[u8], format: Format) -> anyhow::Result<Input> {
    match format {
        Format::Jsonl => Ok(parse_jsonl(bytes)),
        Format::Csv => parse_csv(bytes),
    }
}

fn parse_jsonl(bytes: &[u8]) -> Input {
    let mut input = Input::default();
    for (index, raw) in bytes.split(|&byte| byte == b'\n').enumerate() {
        let line = index as u64 + 1;
        let text = String::from_utf8_lossy(raw);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<Fields>(text) {
            Ok(fields) => input.records.push(Record { line, fields }),
            Err(error) => input.rejected.push(Rejected {
                line,
                error: RecordError::Malformed(format!("not a JSON object: {error}")).to_string(),
                record: Value::String(text.chars().take(1_000).collect()).to_string(),
            }),
        }
    }
    input
}

fn parse_csv(bytes: &[u8]) -> anyhow::Result<Input> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|error| UsageError(format!("cannot read the CSV header row: {error}")))?
        .iter()
        .map(|name| name.trim().to_owned())
        .collect();
    let mut input = Input { header: header.clone(), ..Input::default() };
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                let reason = RecordError::Malformed(format!("unreadable CSV row: {error}")).to_string();
                input.rejected.push(Rejected { line, error: reason, record: "null".to_owned() });
                continue;
            }
        };
        let line = row.position().map_or(0, csv::Position::line);
        if row.len() != header.len() {
            let cells: Vec<Value> = row.iter().map(|cell| Value::String(cell.to_owned())).collect();
            let reason = format!("the row has {} cells but the header has {}", row.len(), header.len());
            let error = RecordError::Malformed(reason).to_string();
            input.rejected.push(Rejected { line, error, record: Value::Array(cells).to_string() });
            continue;
        }
        let fields = header.iter().zip(row.iter()).map(|(name, cell)| (name.clone(), Value::String(cell.to_owned())));
        input.records.push(Record { line, fields: Fields(fields.collect()) });
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_keeps_line_numbers_and_skips_blank_lines() {
        let input = parse(b"{\"a\":1}\n\n{\"a\":2}\n", Format::Jsonl).unwrap();
        let lines: Vec<u64> = input.records.iter().map(|record| record.line).collect();
        assert_eq!(lines, [1, 3]);
    }

    #[test]
    fn bad_json_line_is_rejected_with_its_line() {
        let input = parse(b"{\"a\":1}\n{not json\n[1,2]\n{\"a\":2}", Format::Jsonl).unwrap();
        assert_eq!(input.records.len(), 2);
        let lines: Vec<u64> = input.rejected.iter().map(|rejected| rejected.line).collect();
        assert_eq!(lines, [2, 3]);
    }

    #[test]
    fn csv_rows_become_string_fields() {
        let input = parse(b"entityType,region\nplace,4\nthing,\n", Format::Csv).unwrap();
        assert_eq!(input.header, ["entityType", "region"]);
        assert_eq!(input.records[0].line, 2);
        assert_eq!(input.records[0].fields.get("region"), Some(&Value::String("4".into())));
        assert_eq!(input.records[1].line, 3);
    }

    #[test]
    fn csv_row_with_wrong_width_is_rejected() {
        let input = parse(b"a,b\n1,2\n1,2,3\n4,5\n", Format::Csv).unwrap();
        assert_eq!(input.records.len(), 2);
        assert_eq!(input.rejected[0].line, 3);
    }

    #[test]
    fn extension_picks_the_format() {
        assert_eq!(Format::from_extension(Path::new("a/b.CSV")), Some(Format::Csv));
        assert_eq!(Format::from_extension(Path::new("b.jsonl")), Some(Format::Jsonl));
        assert_eq!(Format::from_extension(Path::new("b.txt")), None);
    }
}
