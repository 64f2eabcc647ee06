//! Seeded random streams, one per (seed, replication, purpose): common random numbers.
//!
//! Every stream is a ChaCha8 generator keyed by the scenario seed and positioned on its own
//! ChaCha stream number `replication << 16 | purpose`. Two runs that differ only in a remedy
//! therefore draw the same numbers for the same purpose, whatever else they do.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A source of randomness inside one replication; purposes never share draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Purpose(pub u16);

/// The generator of one purpose's stream.
pub type Stream = ChaCha8Rng;

/// Derives the stream for `purpose` in `replication` of a run seeded with `seed`.
pub fn stream(seed: u64, replication: u64, purpose: Purpose) -> Stream {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((replication << 16) | u64::from(purpose.0));
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn golden_values_are_portable() {
        // Pinned: a change here means every published result would move.
        let mut s = stream(42, 0, Purpose(1));
        let got: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
        let mut again = stream(42, 0, Purpose(1));
        assert_eq!(got, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        assert_eq!(got, GOLDEN.to_vec());
    }

    // Recorded from rand_chacha 0.10 on x86_64; ChaCha8 output is specified to be portable.
    const GOLDEN: [u64; 3] = [
        13222472167927179408,
        3078952320862533021,
        8898984633443201687,
    ];

    #[test]
    fn purposes_and_replications_are_independent() {
        let a = stream(7, 0, Purpose(1)).next_u64();
        let b = stream(7, 0, Purpose(2)).next_u64();
        let c = stream(7, 1, Purpose(1)).next_u64();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(b, c);
    }
}
