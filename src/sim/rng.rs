//! Seeded random streams, one per (seed, replication, purpose): common random numbers.
//!
//! Every stream is a ChaCha8 generator keyed by the scenario seed and positioned on its own
//! ChaCha stream number `(replication mod 2^48) << 16 | purpose`. The replication's top 16 bits,
//! which that stream number has no room for, are folded into the key (zero for every replication
//! below 2^48, so those streams are as they always were): no two replications share a stream.
//! Two runs that differ only in a remedy therefore draw the same numbers for the same purpose,
//! whatever else they do.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A source of randomness inside one replication; purposes never share draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Purpose(pub u16);

/// The generator of one purpose's stream.
pub type Stream = ChaCha8Rng;

/// Derives the stream for `purpose` in `replication` of a run seeded with `seed`.
pub fn stream(seed: u64, replication: u64, purpose: Purpose) -> Stream {
    const LOW: u32 = 48;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let high = replication >> LOW;
    if high != 0 {
        // XOR with distinct values gives distinct keys: replications r and r + 2^48 differ here.
        let mut key = rng.get_seed();
        for (k, h) in key[24..].iter_mut().zip(high.to_le_bytes()) {
            *k ^= h;
        }
        rng = ChaCha8Rng::from_seed(key);
    }
    let low = replication & ((1 << LOW) - 1);
    rng.set_stream((low << 16) | u64::from(purpose.0));
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
    fn replications_2_pow_48_apart_draw_different_nights() {
        // Issue 10 item 5: `replication << 16` dropped the top 16 bits, so these were equal.
        for r in [0, 1, 12345] {
            for p in [Purpose(0), Purpose(7)] {
                let a = stream(3, r, p).next_u64();
                let b = stream(3, r + (1 << 48), p).next_u64();
                let c = stream(3, r + (2 << 48), p).next_u64();
                assert!(a != b && b != c && a != c, "r={r} {p:?}");
            }
        }
        let top = stream(3, u64::MAX, Purpose(0)).next_u64();
        assert_ne!(top, stream(3, u64::MAX >> 16, Purpose(0)).next_u64());
    }

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
