//! Helpers shared by the CLI's integration tests: running the built binary with a clean environment.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The environment variables the CLI reads; removed so the tests never depend on the caller's shell.
const CLI_ENV: [&str; 5] =
    ["CHITTYID_SERVICE_URL", "CHITTY_ID_TOKEN", "CHITTYID_EMBEDDED", "CHITTYID_SERVER_TOKENS", "CHITTYID_DATA_DIR"];

/// Builds a command for the `chittyid` binary, with the CLI's environment variables removed.
pub fn chittyid() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chittyid"));
    for name in CLI_ENV {
        command.env_remove(name);
    }
    command.env_remove("RUST_LOG");
    command
}

/// Runs the command to completion and returns its output.
pub fn run(command: &mut Command) -> Output {
    command.output().expect("the chittyid binary runs")
}

/// Returns stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Returns stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Returns a file of the repository's `examples` folder.
pub fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name)
}

/// A JSON object's fields in the order of the text (`serde_json::Map` would sort them).
#[derive(Debug)]
pub struct Ordered(pub Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Ordered, D::Error> {
        struct OrderedVisitor;

        impl<'de> serde::de::Visitor<'de> for OrderedVisitor {
            type Value = Ordered;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    fields.push(entry);
                }
                Ok(Ordered(fields))
            }
        }

        deserializer.deserialize_map(OrderedVisitor)
    }
}
