//! What became of a dump attempt and of a DLE, and why, with Amanda's own texts.

use serde::{Deserialize, Serialize};

/// The dumper's result line to the driver.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// `DONE`: the dump completed.
    Done,
    /// `TRY-AGAIN`: the driver may retry the DLE.
    TryAgain,
    /// `FAILED`: the driver gives the DLE up.
    Failed,
}

/// Why an attempt or an estimate ended as it did: the model's ground truth, which Amanda's own
/// text (`[request timeout]` for most of these) cannot tell apart.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// It worked.
    Ok,
    /// The firewall dropped the client's ACK, REP or NAK on its way to the server's port.
    ReplyDropped,
    /// The firewall dropped the server's REQ on its way to the client.
    RequestDropped,
    /// The client's amandad was busy with another peer: it NAKed or swallowed the REQ.
    ClientBusy,
    /// No answer came and nothing was dropped by the firewall (a slow or lost client).
    NoAnswer,
    /// The client refused a request from an unreserved port.
    NotSecure,
    /// A TCP data connection to the client could not be opened.
    DataConnect,
    /// No port in the range came free in time (2.5.2+).
    NoPort,
}

/// Why a DLE was not dumped tonight, in the driver's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DleFate {
    /// Dumped.
    Dumped,
    /// Failed twice (or once for good): the driver gave it up.
    Failed,
    /// Its host's estimate failed: the planner never scheduled it.
    NotScheduled,
}
