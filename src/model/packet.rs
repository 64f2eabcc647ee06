//! The packets that cross the network: their kinds, their ends and what they carry.

use crate::model::Node;
use crate::model::client::Reply;
use crate::model::ports::Port;
use crate::model::protocol::{ReqId, Service};
use serde::Serialize;

/// The kinds of packet that cross the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PacketKind {
    /// A request from the server.
    Req,
    /// The client's acknowledgement of a REQ.
    Ack,
    /// The client's refusal ("amandad busy").
    Nak,
    /// The client's reply.
    Rep,
    /// A partial reply: one disk's estimate (2.5.1+), not acknowledged.
    Prep,
    /// The server's acknowledgement of a REP.
    RepAck,
    /// A TCP connection attempt from the server to a client's data port.
    Syn,
}

/// A packet in flight.
#[derive(Clone, Copy, Debug)]
pub struct Packet {
    /// Kind.
    pub kind: PacketKind,
    /// Sender.
    pub src: Node,
    /// Sender's port.
    pub src_port: Port,
    /// Receiver.
    pub dst: Node,
    /// Receiver's port.
    pub dst_port: Port,
    /// The request it belongs to.
    pub req: ReqId,
    /// For REQs, the service asked; for REPs, the reply carried.
    pub body: Body,
}

/// What a packet carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Nothing the model needs.
    None,
    /// A REQ's service.
    Service(Service),
    /// A REP's content.
    Reply(Reply),
}
