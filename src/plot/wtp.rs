//! Willingness-to-pay helpers shared by the PSA figures: cleaning threshold
//! lists, labelling threshold guides, and pairing values with the grid.

use super::money::Money;

/// Finite, non-negative thresholds, sorted, duplicates removed.
pub(super) fn clean_thresholds(thresholds: &[f64]) -> Vec<f64> {
    let mut kept: Vec<f64> = thresholds
        .iter()
        .copied()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .collect();
    kept.sort_by(f64::total_cmp);
    kept.dedup();
    kept
}

/// Checks that a y series has one value per x value.
pub(super) fn check_len(what: &str, len: usize, expected: usize) -> Result<(), String> {
    if len == expected {
        Ok(())
    } else {
        Err(format!(
            "{what} has {len} values but there are {expected} willingness-to-pay values"
        ))
    }
}

/// Pairs each willingness-to-pay value with a y value.
pub(super) fn against(wtp: &[f64], values: &[f64]) -> Vec<(f64, f64)> {
    wtp.iter().copied().zip(values.iter().copied()).collect()
}

/// Threshold guides labelled like "€20,000/QALY".
pub(super) fn wtp_guides(money: &Money, thresholds: &[f64]) -> Vec<(f64, String)> {
    clean_thresholds(thresholds)
        .into_iter()
        .map(|t| (t, money.per_qaly(t)))
        .collect()
}
