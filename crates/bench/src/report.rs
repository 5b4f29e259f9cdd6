//! The results table: one row per measured quantity, with its target and whether the target was met.

/// Whether a row's number meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The target is met.
    Met,
    /// The target is not met.
    NotMet,
    /// The row has no target of its own: a baseline or a context number.
    Info,
    /// The quantity was not measured, and the value column gives the reason.
    NotMeasured,
}

impl Verdict {
    /// `Met` when `met`, else `NotMet`.
    pub(crate) fn from(met: bool) -> Verdict {
        if met { Verdict::Met } else { Verdict::NotMet }
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::NotMet => "not met",
            Verdict::Info => "",
            Verdict::NotMeasured => "not measured",
        }
    }
}

#[derive(Debug)]
struct Row {
    scenario: String,
    metric: String,
    value: String,
    target: String,
    verdict: Verdict,
}

/// The rows collected by every scenario of one run.
#[derive(Debug, Default)]
pub(crate) struct Table {
    rows: Vec<Row>,
}

impl Table {
    /// Adds a row for `scenario` (number and title), naming the metric, its value and its target.
    pub(crate) fn row(&mut self, scenario: &str, metric: &str, value: String, target: &str, verdict: Verdict) {
        eprintln!("  {scenario} | {metric} | {value} | {target} | {}", verdict.label());
        let row =
            Row { scenario: scenario.to_owned(), metric: metric.to_owned(), value, target: target.to_owned(), verdict };
        self.rows.push(row);
    }

    /// Adds a context row without a target.
    pub(crate) fn info(&mut self, scenario: &str, metric: &str, value: String) {
        self.row(scenario, metric, value, "", Verdict::Info);
    }

    /// Adds a row for a scenario that could not run, with the reason.
    pub(crate) fn not_measured(&mut self, number: u8, title: &str, reason: &str) {
        let reason = reason.replace('|', "/").replace('\n', "; ");
        self.row(&format!("{number} {title}"), "(scenario)", reason, "", Verdict::NotMeasured);
    }

    /// Renders the rows as a Markdown table.
    pub(crate) fn render(&self) -> String {
        let mut text = String::from("| scenario | metric | value | target | verdict |\n|---|---|---|---|---|\n");
        for row in &self.rows {
            let Row { scenario, metric, value, target, verdict } = row;
            text.push_str(&format!("| {scenario} | {metric} | {value} | {target} | {} |\n", verdict.label()));
        }
        text
    }
}
