//! Exact decimal fixed point for the CVSS v2/v3 formulas (15 decimal places in an `i128`).
//!
//! Every constant of the v2 and v3 formulas has at most three decimals, so sums and products
//! stay exact at this scale; only the 15th power in the v3 scope-changed impact is truncated
//! (at 1e-15, far below anything that could move a score across a tenth).

/// A decimal with 15 fractional digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Fx(pub i128);

const SCALE: i128 = 1_000_000_000_000_000;

impl Fx {
    /// From a decimal literal given as integer thousandths (`0.275` → `Fx::milli(275)`).
    pub(crate) const fn milli(m: i128) -> Fx {
        Fx(m * (SCALE / 1000))
    }
    /// From an integer.
    pub(crate) const fn int(i: i128) -> Fx {
        Fx(i * SCALE)
    }
    pub(crate) fn add(self, o: Fx) -> Fx {
        Fx(self.0 + o.0)
    }
    pub(crate) fn sub(self, o: Fx) -> Fx {
        Fx(self.0 - o.0)
    }
    /// Product, truncated toward zero to 15 decimals (exact when the true product has ≤ 15).
    pub(crate) fn mul(self, o: Fx) -> Fx {
        Fx(self.0 * o.0 / SCALE)
    }
    pub(crate) fn min(self, o: Fx) -> Fx {
        if self <= o {
            self
        } else {
            o
        }
    }
    pub(crate) fn pow(self, n: u32) -> Fx {
        (0..n).fold(Fx::int(1), |acc, _| acc.mul(self))
    }
    /// Smallest tenth ≥ self (CVSS v3 "Roundup").
    pub(crate) fn round_up_tenth(self) -> f64 {
        let tenth = SCALE / 10;
        let q = self.0.div_euclid(tenth);
        let q = if self.0.rem_euclid(tenth) == 0 {
            q
        } else {
            q + 1
        };
        q as f64 / 10.0
    }
    /// Nearest tenth, halves away from zero (CVSS v2 rounding; inputs are ≥ 0).
    pub(crate) fn round_half_up_tenth(self) -> f64 {
        let tenth = SCALE / 10;
        let q = self.0.div_euclid(tenth);
        let r = self.0.rem_euclid(tenth);
        let q = if 2 * r >= tenth { q + 1 } else { q };
        q as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(Fx::milli(4020).round_up_tenth(), 4.1);
        assert_eq!(Fx::milli(4000).round_up_tenth(), 4.0);
        assert_eq!(Fx::milli(4050).round_half_up_tenth(), 4.1);
        assert_eq!(Fx::milli(4049).round_half_up_tenth(), 4.0);
        assert_eq!(Fx::milli(500).mul(Fx::milli(500)), Fx::milli(250));
    }
}
