//! The public connection states and the table of legal transitions between them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The state of a [`ConnectionManager`](super::ConnectionManager)'s link to the service.
///
/// Serialises in upper case (`"CONNECTED"`), as the JavaScript manager's states do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConnectionState {
    /// Not started, or stopped by `disconnect`. No task or timer runs.
    Disconnected,
    /// The first attempt after `connect` is in progress.
    Connecting,
    /// The last attempt or health check succeeded; health monitoring runs.
    Connected,
    /// The link is lost or not yet made, and the manager is still retrying: a backoff wait or an attempt is in
    /// progress.
    Reconnecting,
    /// The manager gave up: the maximum number of attempts was reached, or the failure cannot be retried (401/403).
    /// No task or timer runs until the next `connect`.
    Failed,
}

impl ConnectionState {
    /// Returns the upper-case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Disconnected => "DISCONNECTED",
            ConnectionState::Connecting => "CONNECTING",
            ConnectionState::Connected => "CONNECTED",
            ConnectionState::Reconnecting => "RECONNECTING",
            ConnectionState::Failed => "FAILED",
        }
    }

    /// Tells whether the manager may move from `self` to `to`, as the module documentation's table lists.
    pub fn can_transition_to(self, to: ConnectionState) -> bool {
        use ConnectionState::*;

        matches!(
            (self, to),
            (Disconnected | Failed, Connecting)
                | (Connecting | Reconnecting, Connected)
                | (Connecting | Connected, Reconnecting)
                | (Connecting | Connected | Reconnecting, Failed)
                | (Connecting | Connected | Reconnecting | Failed, Disconnected)
        )
    }

    pub(crate) fn to_index(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_index(index: u8) -> ConnectionState {
        match index {
            1 => ConnectionState::Connecting,
            2 => ConnectionState::Connected,
            3 => ConnectionState::Reconnecting,
            4 => ConnectionState::Failed,
            _ => ConnectionState::Disconnected,
        }
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectionState::{self, *};

    const ALL: [ConnectionState; 5] = [Disconnected, Connecting, Connected, Reconnecting, Failed];

    #[test]
    fn transition_table_matches_the_documentation() {
        let legal = [
            (Disconnected, Connecting),
            (Failed, Connecting),
            (Connecting, Connected),
            (Reconnecting, Connected),
            (Connecting, Reconnecting),
            (Connected, Reconnecting),
            (Connecting, Failed),
            (Connected, Failed),
            (Reconnecting, Failed),
            (Connecting, Disconnected),
            (Connected, Disconnected),
            (Reconnecting, Disconnected),
            (Failed, Disconnected),
        ];
        for from in ALL {
            for to in ALL {
                let expected = legal.contains(&(from, to));
                assert_eq!(from.can_transition_to(to), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn states_serialise_in_upper_case() {
        for state in ALL {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
    }

    #[test]
    fn index_round_trips() {
        for state in ALL {
            assert_eq!(ConnectionState::from_index(state.to_index()), state);
        }
    }
}
