//! Golden fingerprints: the SHA-256 of a night's event trace, exactly the bytes `--trace` writes.
//!
//! Any change of behaviour (an event more, a port, a verdict, a microsecond) changes the hash, so
//! a pinned fingerprint notices what bounds on measures might not.

use crate::model::site::{self, RunResult};
use crate::model::trace;
use crate::scenario::Scenario;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The fingerprint of a night run with its trace kept (`site::run(sc, r, true)`).
pub fn of_night(sc: &Scenario, result: &RunResult) -> String {
    let records = result
        .trace
        .as_ref()
        .expect("the night was run with its trace");
    sha256_hex(trace::render(sc, records).as_bytes())
}

/// Runs replication `rep` and hashes its trace line by line as it happens: the same hash as
/// [`of_night`], without keeping the trace. `also` sees every line too (e.g. to write it).
pub fn run_hashed(sc: &Scenario, rep: u64, also: &mut dyn FnMut(&str)) -> (RunResult, String) {
    let mut hasher = Sha256::new();
    let mut line = String::new();
    let result = site::run_streaming(sc, rep, &mut |r| {
        line.clear();
        trace::push_line(sc, &r, &mut line);
        hasher.update(line.as_bytes());
        also(&line);
    });
    (result, hex(&hasher.finalize()))
}

fn hex(digest: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_vectors() {
        assert_eq!(
            super::sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
