//! Writing the output and rejects files: records in input order, through a temporary file renamed at the end.
//!
//! The temporary file sits beside the output, so the final rename stays on one file system and is atomic. A reader
//! sees either the previous output or the complete new one, and a job that fails halfway leaves no partial output.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;
use tempfile::NamedTempFile;

use super::reader::{Format, Rejected};
use super::record::{CHITTY_ID_FIELD, Record};

/// The output file, being written to a temporary file beside it.
#[derive(Debug)]
pub(crate) struct OutputWriter {
    path: PathBuf,
    sink: Sink,
    /// CSV columns, `chittyId` last; empty for JSON Lines.
    columns: Vec<String>,
}

#[derive(Debug)]
enum Sink {
    Jsonl(BufWriter<NamedTempFile>),
    Csv(Box<csv::Writer<NamedTempFile>>),
}

impl OutputWriter {
    /// Creates the temporary file beside `path`, creating missing parent folders, and writes the CSV header.
    ///
    /// `header` is the input's CSV header; when it is empty, the CSV columns are the field names of `records` in
    /// the order they first appear.
    ///
    /// # Errors
    ///
    /// Fails when the folder or the temporary file cannot be created or written.
    pub(crate) fn create(path: &Path, format: Format, header: &[String], records: &[Record]) -> anyhow::Result<Self> {
        let temp = temp_beside(path)?;
        let (sink, columns) = match format {
            Format::Jsonl => (Sink::Jsonl(BufWriter::new(temp)), Vec::new()),
            Format::Csv => {
                let mut columns = csv_columns(header, records);
                columns.push(CHITTY_ID_FIELD.to_owned());
                let mut writer = csv::Writer::from_writer(temp);
                writer.write_record(&columns).context("cannot write the CSV header")?;
                (Sink::Csv(Box::new(writer)), columns)
            }
        };
        Ok(OutputWriter { path: path.to_owned(), sink, columns })
    }

    /// Appends one record with its `chittyId`.
    ///
    /// # Errors
    ///
    /// Fails when the temporary file cannot be written.
    pub(crate) fn write(&mut self, record: &Record, chitty_id: &str) -> anyhow::Result<()> {
        match &mut self.sink {
            Sink::Jsonl(writer) => {
                // Written field by field, because a `serde_json::Map` would sort the keys.
                let mut text = String::from("{");
                for (name, value) in record.fields.0.iter().filter(|(name, _)| name != CHITTY_ID_FIELD) {
                    text.push_str(&serde_json::to_string(name)?);
                    text.push(':');
                    text.push_str(&serde_json::to_string(value)?);
                    text.push(',');
                }
                text.push_str(&serde_json::to_string(CHITTY_ID_FIELD)?);
                text.push(':');
                text.push_str(&serde_json::to_string(chitty_id)?);
                text.push('}');
                writeln!(writer, "{text}")?;
            }
            Sink::Csv(writer) => {
                let cells = self.columns.iter().map(|column| match column.as_str() {
                    CHITTY_ID_FIELD => chitty_id.to_owned(),
                    name => record.fields.get(name).map(csv_cell).unwrap_or_default(),
                });
                writer.write_record(cells.collect::<Vec<_>>())?;
            }
        }
        Ok(())
    }

    /// Flushes the temporary file and renames it over the output path, replacing any previous output.
    ///
    /// # Errors
    ///
    /// Fails when the file cannot be flushed or renamed.
    pub(crate) fn finish(self) -> anyhow::Result<()> {
        let temp = match self.sink {
            Sink::Jsonl(writer) => writer.into_inner().map_err(|error| error.into_error())?,
            Sink::Csv(writer) => writer.into_inner().map_err(|error| error.into_error())?,
        };
        persist(temp, &self.path)
    }
}

/// Returns the rejects file of an output: `<output>.rejects.jsonl`.
pub(crate) fn rejects_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".rejects.jsonl");
    output.with_file_name(name)
}

/// Writes the rejected lines as JSON Lines (`{"line":…,"error":…,"record":…}`) to `path`, or removes a stale
/// rejects file of an earlier run when there are none.
///
/// # Errors
///
/// Fails when the file cannot be written, renamed or removed.
pub(crate) fn write_rejects(path: &Path, rejected: &[Rejected]) -> anyhow::Result<()> {
    if rejected.is_empty() {
        return match std::fs::remove_file(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(error).with_context(|| format!("cannot remove stale rejects file {}", path.display()))
            }
            _ => Ok(()),
        };
    }
    let mut writer = BufWriter::new(temp_beside(path)?);
    for entry in rejected {
        let error = serde_json::to_string(&entry.error)?;
        writeln!(writer, "{{\"line\":{},\"error\":{error},\"record\":{}}}", entry.line, entry.record)?;
    }
    persist(writer.into_inner().map_err(|error| error.into_error())?, path)
}

/// Creates a temporary file in the folder of `path`, creating the folder when missing.
pub(crate) fn temp_beside(path: &Path) -> anyhow::Result<NamedTempFile> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(folder).with_context(|| format!("cannot create output folder {}", folder.display()))?;
    tempfile::Builder::new()
        .prefix(".chittyid-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .with_context(|| format!("cannot create a temporary file in {}", folder.display()))
}

/// Syncs `temp` and renames it over `path`.
pub(crate) fn persist(temp: NamedTempFile, path: &Path) -> anyhow::Result<()> {
    let file: &File = temp.as_file();
    file.sync_all().with_context(|| format!("cannot flush {}", path.display()))?;
    temp.persist(path).map_err(|error| error.error).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn csv_columns(header: &[String], records: &[Record]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    let names = header.iter().chain(records.iter().flat_map(|record| record.fields.0.iter().map(|(name, _)| name)));
    for name in names {
        if name != CHITTY_ID_FIELD && !columns.contains(name) {
            columns.push(name.clone());
        }
    }
    columns
}

/// Renders a JSON value as a CSV cell: strings as they are, `null` as empty, anything else as JSON text.
fn csv_cell(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::reader::parse;

    const ID: &str = "03-1-USA-4448-P-2609-0-88";

    #[test]
    fn jsonl_output_appends_the_id_after_the_fields() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("out.jsonl");
        let input = parse(br#"{"z":1,"entityType":"P","a":[true]}"#, Format::Jsonl).unwrap();
        let mut writer = OutputWriter::create(&path, Format::Jsonl, &[], &input.records).unwrap();
        writer.write(&input.records[0], ID).unwrap();
        writer.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{{\"z\":1,\"entityType\":\"P\",\"a\":[true],\"chittyId\":\"{ID}\"}}\n"));
    }

    #[test]
    fn csv_output_adds_a_column() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("nested/out.csv");
        let input = parse(b"entityType,name\nP,\"Doe, J\"\n", Format::Csv).unwrap();
        let mut writer = OutputWriter::create(&path, Format::Csv, &input.header, &input.records).unwrap();
        writer.write(&input.records[0], ID).unwrap();
        writer.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("entityType,name,chittyId\nP,\"Doe, J\",{ID}\n"));
    }

    #[test]
    fn unfinished_output_leaves_no_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("out.jsonl");
        let writer = OutputWriter::create(&path, Format::Jsonl, &[], &[]).unwrap();
        drop(writer);
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
    }

    #[test]
    fn rejects_path_appends_a_suffix() {
        assert_eq!(rejects_path(Path::new("out/a.csv")), Path::new("out/a.csv.rejects.jsonl"));
    }

    #[test]
    fn empty_rejects_remove_a_stale_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("a.rejects.jsonl");
        std::fs::write(&path, "old").unwrap();
        write_rejects(&path, &[]).unwrap();
        assert!(!path.exists());
    }
}
