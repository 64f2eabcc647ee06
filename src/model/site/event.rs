//! Everything that can happen in a night: the site's one event type.

use super::Packet;
use crate::model::HostId;
use crate::model::network::FlowId;
use crate::model::protocol::ReqId;

// 20 bytes, 4-aligned: with its time and 32-bit sequence number an event queue entry is 32 bytes.
const _: () = assert!(size_of::<Event>() == 20 && align_of::<Event>() == 4);

/// Everything that can happen.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// amdump starts: processes bind, the planner asks for estimates.
    Start,
    /// A packet reaches its destination.
    Deliver(Packet),
    /// A request's ACK or REP wait expires.
    ReqTimer {
        /// The request.
        req: ReqId,
        /// Its timer generation when armed.
        epoch: u32,
    },
    /// A client's service has its answer ready.
    ServiceDone {
        /// The client.
        host: HostId,
        /// Its session when the service started.
        epoch: u32,
    },
    /// A client's wait for the ACK of its REP expires.
    RepTimer {
        /// The client.
        host: HostId,
        /// Its session.
        epoch: u32,
    },
    /// The estimate phase ends (planner not modelled at the packet level).
    EstimatesDone,
    /// A dump's data may have all arrived (stale if the flow's epoch moved on).
    FlowDone {
        /// The flow.
        flow: FlowId,
        /// Its epoch when the completion was computed.
        epoch: u32,
    },
    /// A dump's TCP connection attempt gave up.
    ConnectTimeout {
        /// The attempt.
        attempt: u32,
    },
    /// The driver wakes from its failure sleep or a host gap ends.
    DriverWake,
    /// A dumper with no port scans the range again (2.5.2+).
    PortRescan {
        /// The attempt that waits.
        attempt: u32,
        /// Rescans so far, this one included.
        rescans: u32,
    },
    /// One disk's estimate is done: sendsize sends a partial reply (2.5.1+).
    PartialEstimate {
        /// The client.
        host: HostId,
        /// Its session.
        epoch: u32,
    },
    /// A 3.x client's service `id` has its answer ready.
    ServiceReady {
        /// The client.
        host: HostId,
        /// The service.
        id: u32,
    },
    /// A 3.x client's service `id` waited 10 s for the ACK of its REP.
    ServiceRepTimer {
        /// The client.
        host: HostId,
        /// The service.
        id: u32,
        /// Its timer generation when armed.
        generation: u32,
    },
    /// One disk's estimate of a 3.x client's sendsize `id` is done (a PREP).
    ServicePartial {
        /// The client.
        host: HostId,
        /// The service.
        id: u32,
    },
    /// A dumper out of descriptors reports that it cannot bind (3.5.1).
    NoSocket {
        /// The attempt.
        attempt: u32,
    },
    /// A requeued attempt's dumper is ready to send its REQ (3.x: the chunker round trip).
    AttemptGo {
        /// The attempt.
        attempt: u32,
    },
}
