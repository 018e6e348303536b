//! "Did you mean ...?" suggestions for misspelled names in model inputs.

/// Returns the candidate closest to `name` by Damerau–Levenshtein distance, if it is close enough.
///
/// A candidate qualifies when its distance is at most `max(1, len / 3)`, where `len` is the
/// number of characters in `name`; among equally close candidates the first one wins, so callers
/// control tie-breaking through iteration order.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let target: Vec<char> = name.chars().collect();
    let max_distance = (target.len() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        // Only a strictly better candidate replaces the current best, so ties keep the first.
        let limit = best.map_or(max_distance, |(d, _)| d.saturating_sub(1));
        if let Some(d) = distance_within(&target, candidate, limit) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Optimal-string-alignment distance between `a` and `b` if it is at most `limit`.
///
/// This is the restricted Damerau–Levenshtein distance (insertions, deletions, substitutions
/// and transpositions of adjacent characters, no substring edited twice), which is what
/// typos in hand-written names need.
fn distance_within(a: &[char], b: &str, limit: usize) -> Option<usize> {
    let b: Vec<char> = b.chars().collect();
    // The length difference is a lower bound on the distance: skip hopeless candidates cheaply.
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // Three rolling rows: two back (for transpositions), previous and current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        distance_within(&a, b, usize::MAX).unwrap()
    }

    #[test]
    fn distance_counts_each_edit_kind_once() {
        assert_eq!(dist("", ""), 0);
        assert_eq!(dist("abc", "abc"), 0);
        assert_eq!(dist("", "abc"), 3);
        assert_eq!(dist("abc", ""), 3);
        assert_eq!(dist("abc", "abd"), 1, "substitution");
        assert_eq!(dist("abc", "abcd"), 1, "insertion");
        assert_eq!(dist("abcd", "abc"), 1, "deletion");
        assert_eq!(dist("abcd", "abdc"), 1, "adjacent transposition");
        assert_eq!(dist("kitten", "sitting"), 3);
        // Optimal string alignment does not edit a transposed pair again.
        assert_eq!(dist("ca", "abc"), 3);
        assert_eq!(dist("äb", "bä"), 1, "characters, not bytes");
    }

    #[test]
    fn distance_respects_limit() {
        let a: Vec<char> = "kitten".chars().collect();
        assert_eq!(distance_within(&a, "sitting", 3), Some(3));
        assert_eq!(distance_within(&a, "sitting", 2), None);
        assert_eq!(distance_within(&a, "k", 2), None);
    }

    #[test]
    fn suggests_closest_candidate() {
        let names = ["p_relapse", "p_remission", "c_ect"];
        assert_eq!(did_you_mean("p_remision", names), Some("p_remission"));
        assert_eq!(did_you_mean("p_relpase", names), Some("p_relapse"));
        assert_eq!(did_you_mean("c_etc", names), Some("c_ect"));
    }

    #[test]
    fn rejects_distant_candidates() {
        // Four characters allow one edit (4 / 3 = 1).
        assert_eq!(did_you_mean("cost", ["coat"]), Some("coat"));
        assert_eq!(did_you_mean("cost", ["cart"]), None);
        // Six characters allow two edits.
        assert_eq!(did_you_mean("utilty", ["utility_x"]), None);
        assert_eq!(did_you_mean("utilty", ["utilityx"]), Some("utilityx"));
        // Very short names still allow one edit.
        assert_eq!(did_you_mean("x", ["y"]), Some("y"));
        assert_eq!(did_you_mean("", ["ab"]), None);
        assert_eq!(did_you_mean("abc", std::iter::empty()), None);
    }

    #[test]
    fn ties_go_to_first_candidate() {
        assert_eq!(did_you_mean("ab", ["ac", "ad"]), Some("ac"));
        assert_eq!(did_you_mean("ab", ["ad", "ac"]), Some("ad"));
        // A later, strictly closer candidate still wins.
        assert_eq!(did_you_mean("abcdef", ["abcxyf", "abcdxf"]), Some("abcdxf"));
    }

    #[test]
    fn accepts_owned_strings_as_borrowed() {
        let owned = ["alpha".to_string(), "beta".to_string()];
        assert_eq!(
            did_you_mean("bets", owned.iter().map(String::as_str)),
            Some("beta")
        );
    }
}
