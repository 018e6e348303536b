//! Number formatting for tick labels: shortest exact form, thousands
//! separators, and scientific notation for a whole axis when magnitudes are
//! extreme.

use plotters::data::float::FloatPrettyPrinter;

/// Tick label formatter for an axis spanning `lo..hi`.
///
/// plotters' default always prints a decimal (`10.0`, `50000.0`), which reads
/// badly for weeks and money. This prints the shortest exact form, groups
/// thousands (`20,000`), and switches the whole axis to scientific notation
/// only for very large or very small magnitudes, so that one axis never
/// mixes notations.
pub(super) fn tick_formatter((lo, hi): (f64, f64)) -> impl Fn(&f64) -> String {
    let span = hi - lo;
    let magnitude = lo.abs().max(hi.abs());
    let scientific = !(1e-4..1e9).contains(&magnitude);
    move |&value| {
        // Tick positions are computed in floating point; a tick meant to be
        // zero can come out as -5e-17, which must not print as such.
        let value = if value.abs() < span * 1e-9 {
            0.0
        } else {
            value
        };
        let text = FloatPrettyPrinter {
            allow_scientific: scientific,
            min_decimal: 0,
            max_decimal: 5,
        }
        .print(value);
        if scientific {
            text
        } else {
            group_thousands(&text)
        }
    }
}

/// Inserts thousands separators into a plain decimal number (`-12345.5` →
/// `-12,345.5`).
pub(super) fn group_thousands(number: &str) -> String {
    let (sign, unsigned) = number
        .strip_prefix('-')
        .map_or(("", number), |rest| ("-", rest));
    let (integer, fraction) = unsigned
        .split_once('.')
        .map_or((unsigned, ""), |(int, _)| (int, &unsigned[int.len()..]));
    let digits = integer.len();
    let mut grouped = String::with_capacity(number.len() + digits / 3);
    grouped.push_str(sign);
    for (i, digit) in integer.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped.push_str(fraction);
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short_and_grouped() {
        let money = tick_formatter((-50_000.0, 150_000.0));
        assert_eq!(money(&20_000.0), "20,000");
        assert_eq!(money(&-5_000.0), "-5,000");
        assert_eq!(money(&0.0), "0");
        let weeks = tick_formatter((0.0, 52.0));
        assert_eq!(weeks(&10.0), "10");
        let share = tick_formatter((-0.3, 0.3));
        assert_eq!(share(&0.2), "0.2");
        assert_eq!(share(&-5.551_115_123_125_783e-17), "0");
        assert_eq!(group_thousands("-1234567.25"), "-1,234,567.25");
        assert_eq!(group_thousands("999"), "999");
        let tiny = tick_formatter((0.0, 2e-5));
        assert_eq!(tiny(&1e-5), "1e-5");
    }
}
