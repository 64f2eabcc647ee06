//! `network`: latency inside a zone, and the links dumps share.

use super::{Check, zone_id};
use crate::model::ZoneId;
use crate::model::config::NetLink;
use crate::model::network::{Link, LinkId};
use crate::scenario::load::InputError;
use crate::scenario::schema::NetworkFile;
use crate::sim::SimDuration;

/// The validated network: what hosts need to find their path to the server.
pub(super) struct Net {
    /// One-way latency inside a zone.
    pub latency: SimDuration,
    /// The links, by [`LinkId`].
    pub links: Vec<NetLink>,
    /// The graph: (end, end, link); zones are nodes 0..z, the server node z.
    pub edges: Vec<(ZoneId, ZoneId, LinkId)>,
    /// The server's own node, when a link names "server".
    pub server_node: Option<ZoneId>,
}

/// Milliseconds, as a duration.
fn ms(c: &Check, path: &str, x: f64) -> Result<SimDuration, InputError> {
    Ok(SimDuration::from_secs_f64(
        c.secs(path, x)?.as_secs_f64() / 1000.0,
    ))
}

pub(super) fn network(c: &Check, zones: &[String], n: &NetworkFile) -> Result<Net, InputError> {
    let latency = ms(c, "network.latency_ms", n.latency_ms)?;
    // Network graph: zones are nodes 0..z; "server" is node z when a link names it.
    let server_node = ZoneId(zones.len() as u8);
    let names_server = n
        .links
        .iter()
        .any(|l| l.between.iter().any(|e| e == "server"));
    let mut links = Vec::new();
    let mut edges = Vec::new();
    for (i, l) in n.links.iter().enumerate() {
        let at = format!("network.links[{i}]");
        let mut ends = [ZoneId(0); 2];
        for (k, e) in l.between.iter().enumerate() {
            ends[k] = if e == "server" {
                server_node
            } else {
                zone_id(c, zones, &format!("{at}.between[{k}]"), e)?
            };
        }
        if ends[0] == ends[1] {
            return c.fail(&format!("{at}.between"), "a link joins two different zones");
        }
        if !(l.loss.is_finite() && (0.0..1.0).contains(&l.loss)) {
            return c.fail(
                &format!("{at}.loss"),
                format!("{} must be a chance in [0, 1)", l.loss),
            );
        }
        let link = Link::new(
            c.positive(&format!("{at}.capacity_mb_s"), l.capacity_mb_s, "MB/s")? * 1024.0,
            ms(c, &format!("{at}.latency_ms"), l.latency_ms)?,
        )
        .with_loss(l.loss);
        edges.push((ends[0], ends[1], LinkId(i as u16)));
        links.push(NetLink {
            name: l
                .name
                .clone()
                .unwrap_or_else(|| format!("{}-{}", l.between[0], l.between[1])),
            link,
        });
    }
    Ok(Net {
        latency,
        links,
        edges,
        server_node: names_server.then_some(server_node),
    })
}
