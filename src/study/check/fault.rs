//! Faults injected on purpose (`portsim check --inject-fault`, hidden): transforms of the
//! validated scenario that break the model the way a bug would, so that tests can show which
//! expectations notice. The model itself has no fault branches.

use crate::model::config::PortPolicy;
use crate::scenario::Scenario;

/// A deliberate breakage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Dumpers (and the planner) ignore `udpportrange` and bind where the fallback puts them,
    /// while the firewall's hole stays on the range.
    DumperIgnoresRange,
    /// The driver gives a DLE up after its first failure, without the retry.
    DriverSkipsRetry,
}

impl Fault {
    /// Every fault, in command-line order.
    pub const ALL: [Fault; 2] = [Fault::DumperIgnoresRange, Fault::DriverSkipsRetry];

    /// The fault named `name`.
    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Fault::DumperIgnoresRange => "dumper-ignores-range",
            Fault::DriverSkipsRetry => "driver-skips-retry",
        }
    }

    /// Breaks `sc`.
    pub fn apply(self, sc: &mut Scenario) {
        match self {
            Fault::DumperIgnoresRange => {
                sc.server.range = None;
                // Leased range ports are the range too: without one, requests bind like dumpers.
                sc.server.port_policy = PortPolicy::PerDumper;
            }
            Fault::DriverSkipsRetry => sc.server.profile.retries = 0,
        }
    }
}
