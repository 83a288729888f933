/// The Wilson score interval for a proportion at 95% confidence. Unlike the
/// normal approximation it stays inside [0, 1] and is defined for 0 and n.
pub fn wilson_interval(successes: i64, n: i64) -> (f64, f64) {
    if n <= 0 {
        return (0.0, 0.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n) + z2 / (4.0 * n * n)).sqrt() / denom;
    // At 0 and n the interval touches 0 or 1 exactly; floating point alone
    // would leave it a hair inside.
    let lo = if successes <= 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if successes as f64 >= n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// A percentage rounded to one decimal, half away from zero, computed with
/// integers so that it equals Postgres's `round(100.0 * n / d, 1)` digit for
/// digit (queries/*.sql use exactly that expression). 0.0 when `d` is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Percent {
    tenths: i64,
}

impl Percent {
    pub fn of(n: i64, d: i64) -> Percent {
        if d <= 0 {
            return Percent::default();
        }
        // round-half-away-from-zero of 1000·n/d, in integers (n may be
        // negative only for differences, which use `minus`).
        let num = 2000 * n.unsigned_abs() as i128 + d as i128;
        let tenths = (num / (2 * d as i128)) as i64;
        Percent {
            tenths: if n < 0 { -tenths } else { tenths },
        }
    }

    /// From a fraction in [0, 1] (for confidence bounds, which are not ratios
    /// of integers): rounded half away from zero to one decimal of a percent.
    pub fn from_fraction(x: f64) -> Percent {
        let t = (x * 1000.0).round();
        Percent {
            tenths: if t.is_finite() { t as i64 } else { 0 },
        }
    }

    /// Percentage points from `earlier` to `self`.
    pub fn minus(self, earlier: Percent) -> Percent {
        Percent {
            tenths: self.tenths - earlier.tenths,
        }
    }

    pub fn as_f64(self) -> f64 {
        self.tenths as f64 / 10.0
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.tenths < 0 { "-" } else { "" };
        let t = self.tenths.unsigned_abs();
        write!(f, "{sign}{}.{}", t / 10, t % 10)
    }
}

impl serde::Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_known_values() {
        // 88 of 100: the Wilson interval is about [0.802, 0.930].
        let (lo, hi) = wilson_interval(88, 100);
        assert!((lo - 0.8020).abs() < 0.001, "{lo}");
        assert!((hi - 0.9303).abs() < 0.001, "{hi}");
        assert_eq!(wilson_interval(0, 0), (0.0, 0.0));
        let (lo, hi) = wilson_interval(0, 10);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.2 && hi < 0.35);
        let (lo, hi) = wilson_interval(10, 10);
        assert!(lo > 0.65 && hi == 1.0);
    }

    #[test]
    fn percent_rounds_like_postgres() {
        assert_eq!(Percent::of(1, 32).to_string(), "3.1"); // 3.125 -> 3.1
        assert_eq!(Percent::of(1, 16).to_string(), "6.3"); // 6.25 -> 6.3, half away from zero
        assert_eq!(Percent::of(2, 3).to_string(), "66.7");
        assert_eq!(Percent::of(5, 5).to_string(), "100.0");
        assert_eq!(Percent::of(0, 7).to_string(), "0.0");
        assert_eq!(Percent::of(3, 0).to_string(), "0.0");
        assert_eq!(
            Percent::of(1, 3).minus(Percent::of(1, 2)).to_string(),
            "-16.7"
        );
        assert_eq!(
            serde_json::to_string(&Percent::of(1, 8)).ok().as_deref(),
            Some("12.5")
        );
    }
}
