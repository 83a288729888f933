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
    ((centre - half).max(0.0), (centre + half).min(1.0))
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
}
