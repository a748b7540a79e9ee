//! Deterministic randomness: a xoshiro256** stream, stateless 64-bit mixing for pure
//! functions of indices, and a Zipf sampler.
//!
//! Everything here is implemented locally (no `rand` version can change the output), so the
//! same seed and arguments give byte-identical data on every machine and every release.

/// SplitMix64 finaliser: a strong, stateless 64-bit mix.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Mix of two values (order matters).
pub fn mix2(a: u64, b: u64) -> u64 {
    mix(mix(a) ^ b.rotate_left(17))
}

/// Mix of three values.
pub fn mix3(a: u64, b: u64, c: u64) -> u64 {
    mix2(mix2(a, b), c)
}

/// xoshiro256**: fast, small, good statistical quality.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A stream seeded from one number (SplitMix64 expansion).
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut s = [0u64; 4];
        for v in &mut s {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            *v = mix(x);
        }
        Rng { s }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[0, n)` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Zipf distribution over ranks `0..n` (rank 0 the most popular) with exponent `s`, sampled by
/// rejection-inversion (Hörmann & Derflinger), O(1) memory and time per sample.
#[derive(Debug, Clone, Copy)]
pub struct Zipf {
    n: f64,
    s: f64,
    t: f64,
    q: f64,
}

impl Zipf {
    /// `n ≥ 1` ranks, exponent `s > 0` (1.0 is classic Zipf).
    pub fn new(n: u64, s: f64) -> Zipf {
        let n = n.max(1) as f64;
        let q = if s != 1.0 { 1.0 / (1.0 - s) } else { 0.0 };
        let t = if s != 1.0 {
            (n.powf(1.0 - s) - s) * q
        } else {
            1.0 + n.ln()
        };
        Zipf { n, s, t, q }
    }

    fn inv_cdf(&self, p: f64) -> f64 {
        let pt = p * self.t;
        if pt <= 1.0 {
            pt
        } else if self.s != 1.0 {
            (pt * (1.0 - self.s) + self.s).powf(self.q)
        } else {
            (pt - 1.0).exp()
        }
    }

    /// One rank in `0..n`.
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        loop {
            let inv_b = self.inv_cdf(rng.f64());
            let x = (inv_b + 1.0).floor();
            let mut ratio = x.powf(-self.s);
            if x > 1.0 {
                ratio *= inv_b.powf(self.s);
            }
            if rng.f64() < ratio {
                return (x.min(self.n) as u64).saturating_sub(1);
            }
        }
    }
}

/// A bijection of `0..n` (a popularity rank → an item id), so the most popular items are
/// spread over the id space instead of being its first ids.
#[derive(Debug, Clone, Copy)]
pub struct Permutation {
    n: u64,
    mul: u64,
    add: u64,
}

impl Permutation {
    /// A permutation of `0..n` chosen by `seed`.
    pub fn new(n: u64, seed: u64) -> Permutation {
        let n = n.max(1);
        // Any prime above n is coprime with n, so `r * mul mod n` is a bijection.
        let mut mul = n + 1 + mix(seed) % 1000;
        while !is_prime(mul) {
            mul += 1;
        }
        Permutation {
            n,
            mul,
            add: mix(seed ^ 0x5bd1_e995) % n,
        }
    }

    /// The id at rank `r` (`r < n`).
    pub fn apply(&self, r: u64) -> u64 {
        ((u128::from(r) * u128::from(self.mul) + u128::from(self.add)) % u128::from(self.n)) as u64
    }
}

fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let mut d = 3u64;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_deterministic() {
        let a: Vec<u64> = (0..4)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(
            a,
            (0..4)
                .scan(Rng::new(8), |r, _| Some(r.next_u64()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn zipf_is_skewed_and_in_range() {
        let z = Zipf::new(1000, 1.0);
        let mut rng = Rng::new(1);
        let mut hits = vec![0u32; 1000];
        for _ in 0..100_000 {
            hits[z.sample(&mut rng) as usize] += 1;
        }
        // Rank 0 gets about 1/H(1000) ≈ 13 % of the draws; rank 9 about a tenth of that.
        assert!(hits[0] > 11_000 && hits[0] < 16_000, "{}", hits[0]);
        assert!(hits[0] > 5 * hits[9]);
        assert!(hits[999] < 100);
    }

    #[test]
    fn permutation_is_a_bijection() {
        for n in [1u64, 2, 10, 97, 1000] {
            let p = Permutation::new(n, 3);
            let mut seen: Vec<u64> = (0..n).map(|r| p.apply(r)).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
        }
    }
}
