//! Summaries of a cloud of (incremental QALYs, incremental cost) draws for the
//! cost-effectiveness plane: its mean, sample covariance and the share of draws in each
//! quadrant (Black 1990; Briggs, Claxton & Sculpher 2006, §5.2 and §5.4).
//!
//! - Black WC. The CE plane: a graphic representation of cost-effectiveness. *Med Decis
//!   Making* 1990;10(3):212–214.
//! - Briggs A, Claxton K, Sculpher M. *Decision Modelling for Health Economic
//!   Evaluation.* Oxford University Press, 2006.

/// What the cost-effectiveness plane shows of one comparison's cloud of draws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlaneSummary {
    /// Mean incremental QALYs and cost.
    pub mean: (f64, f64),
    /// Sample covariance (n − 1 in the denominator): var(ΔE), cov(ΔE, ΔC), var(ΔC).
    pub covariance: (f64, f64, f64),
    /// Share of draws in each quadrant: north-east (more effective, more costly),
    /// south-east (more effective, not more costly), south-west (not more effective, not
    /// more costly), north-west (not more effective, more costly). A draw on an axis
    /// counts to the south or west side, so the shares add up to 1.
    pub quadrants: [f64; 4],
}

/// The [`PlaneSummary`] of the finite draws `(ΔE, ΔC)`; `None` without any. The
/// covariance is zero for a single draw.
#[must_use]
pub fn plane_summary(points: &[(f64, f64)]) -> Option<PlaneSummary> {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(e, c)| e.is_finite() && c.is_finite())
        .collect();
    if finite.is_empty() {
        return None;
    }
    let n = finite.len() as f64;
    let (se, sc) = finite
        .iter()
        .fold((0.0, 0.0), |(se, sc), (e, c)| (se + e, sc + c));
    let mean = (se / n, sc / n);
    let (mut vee, mut vec, mut vcc) = (0.0, 0.0, 0.0);
    let mut counts = [0_usize; 4];
    for (e, c) in &finite {
        let (de, dc) = (e - mean.0, c - mean.1);
        vee += de * de;
        vec += de * dc;
        vcc += dc * dc;
        let quadrant = match (*e > 0.0, *c > 0.0) {
            (true, true) => 0,
            (true, false) => 1,
            (false, false) => 2,
            (false, true) => 3,
        };
        counts[quadrant] += 1;
    }
    let denominator = (n - 1.0).max(1.0);
    Some(PlaneSummary {
        mean,
        covariance: (vee / denominator, vec / denominator, vcc / denominator),
        quadrants: counts.map(|k| k as f64 / n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_a_small_cloud_by_hand() {
        // Mean (1, 2); deviations (−1, −2), (1, −2), (1, 2), (−1, 2).
        let points = [
            (0.0, 0.0),
            (2.0, 0.0),
            (2.0, 4.0),
            (0.0, 4.0),
            (f64::NAN, 1.0),
        ];
        let s = plane_summary(&points).unwrap();
        assert_eq!(s.mean, (1.0, 2.0));
        // var(ΔE) = 4/3, cov = (2 − 2 + 2 − 2)/3 = 0, var(ΔC) = 16/3.
        assert_eq!(s.covariance, (4.0 / 3.0, 0.0, 16.0 / 3.0));
        // (0,0): west and south; (2,0): south-east; (2,4): north-east; (0,4): north-west.
        assert_eq!(s.quadrants, [0.25, 0.25, 0.25, 0.25]);
        let one = plane_summary(&[(0.5, -3.0)]).unwrap();
        assert_eq!(one.covariance, (0.0, 0.0, 0.0));
        assert_eq!(one.quadrants, [0.0, 1.0, 0.0, 0.0]);
        assert!(plane_summary(&[(f64::INFINITY, 0.0)]).is_none());
    }
}
