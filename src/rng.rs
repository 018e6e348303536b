//! Random-number streams keyed by (seed, purpose, draw, index).
//!
//! Every stream is a PCG-XSL-RR 128/64 generator whose state and stream selector are
//! derived from the key, so an individual's random numbers do not depend on which
//! thread simulates it, in what order, or how many other individuals there are.
//! This is the scheme of the rand book's "parallel RNGs" chapter: one independent
//! stream per unit of work rather than one generator per thread.

use rand_pcg::Pcg64;

/// What a stream is used for; separate purposes never share a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Population attributes of an individual.
    Attributes = 1,
    /// State transitions of an individual (the same in every strategy: common random numbers).
    Transitions = 2,
    /// A parameter's probabilistic draw.
    Parameter = 3,
    /// A Dirichlet group's probabilistic draw.
    Dirichlet = 4,
    /// Correlated normal scores for a Gaussian copula.
    Copula = 5,
    /// Simulated study data for the expected value of sample information.
    Sample = 6,
}

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
#[inline]
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stream for `(seed, purpose, draw, index)`.
pub fn stream(seed: u64, purpose: Purpose, draw: u64, index: u64) -> Pcg64 {
    let k1 = splitmix64(seed ^ splitmix64(purpose as u64));
    let k2 = splitmix64(k1 ^ splitmix64(draw.wrapping_add(0x5851_f42d_4c95_7f2d)));
    let k3 = splitmix64(k2 ^ splitmix64(index.wrapping_add(0x1405_7b7e_f767_814f)));
    let state = (u128::from(k3) << 64) | u128::from(splitmix64(k3 ^ k1));
    // Distinct (draw, index) pairs select distinct PCG streams (the increment is odd by construction).
    let selector = (u128::from(draw) << 64) | u128::from(index);
    Pcg64::new(state, selector ^ (u128::from(purpose as u64) << 120))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_keyed() {
        let a = stream(1, Purpose::Transitions, 0, 5).next_u64();
        assert_eq!(a, stream(1, Purpose::Transitions, 0, 5).next_u64());
        assert_ne!(a, stream(1, Purpose::Transitions, 0, 6).next_u64());
        assert_ne!(a, stream(1, Purpose::Transitions, 1, 5).next_u64());
        assert_ne!(a, stream(2, Purpose::Transitions, 0, 5).next_u64());
        assert_ne!(a, stream(1, Purpose::Attributes, 0, 5).next_u64());
    }

    /// Pins the stream derivation: a change here changes every published result.
    #[test]
    fn value_stability() {
        let mut r = stream(20261122, Purpose::Transitions, 0, 0);
        let got = [r.next_u64(), r.next_u64()];
        assert_eq!(got, PINNED);
    }

    const PINNED: [u64; 2] = [11807170881778418148, 17297998938277340200];
}
