//! The parts that the live pages share: a stylesheet, and the script that follows `/events` and marks the page
//! stale when the stream drops. Each page is still served as one self-contained HTML file.
//!
//! A page template names the shared parts with the markers `/* live.css */` (inside its `<style>`) and
//! `/* live.js */` (inside its `<script>`), and [`live_page`] fills them in. The dashboard of `chittyid::monitor`
//! and the local service's own dashboard are built this way.

/// The shared stylesheet: layout, cards, the stale-data banner.
const STYLE: &str = include_str!("live.css");

/// The shared script: `followEvents`, `markStale`, `setText`, `clock`.
const SCRIPT: &str = include_str!("live.js");

const STYLE_MARKER: &str = "/* live.css */";
const SCRIPT_MARKER: &str = "/* live.js */";

/// Returns `template` with the shared stylesheet and script in place of their markers.
///
/// # Panics
///
/// Panics when the template lacks either marker, because the page would not work without the shared parts. The
/// templates are compiled in, and the tests that load each page catch a missing marker.
pub fn live_page(template: &str) -> String {
    assert!(template.contains(STYLE_MARKER), "the page template has no {STYLE_MARKER} marker");
    assert!(template.contains(SCRIPT_MARKER), "the page template has no {SCRIPT_MARKER} marker");
    template.replacen(STYLE_MARKER, STYLE, 1).replacen(SCRIPT_MARKER, SCRIPT, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_replaced() {
        let page = live_page("<style>/* live.css */</style><script>/* live.js */</script>");

        assert!(page.contains("function followEvents"));
        assert!(page.contains("#banner"));
        assert!(!page.contains(STYLE_MARKER));
        assert!(!page.contains(SCRIPT_MARKER));
    }

    #[test]
    fn monitor_page_has_both_markers() {
        let page = live_page(include_str!("dashboard.html"));

        assert!(page.contains("followEvents("));
    }

    #[test]
    #[should_panic(expected = "no /* live.js */ marker")]
    fn template_without_marker_panics() {
        live_page("<style>/* live.css */</style>");
    }
}
