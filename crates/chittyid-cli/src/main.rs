//! The chittyid command-line tool (being written).
fn main() {}
