//! How amounts of money are written on axes and labels (`€20,000`,
//! `GBP 20,000`, `€20,000/QALY`).

use plotters::data::float::FloatPrettyPrinter;

use super::format::{group_thousands, tick_formatter};

/// How money is written on axes and labels: `€` for `"EUR"`, any other
/// alphabetic code as a prefix with a space (`GBP 20,000`), anything else
/// (a symbol such as `£`, or nothing) as a prefix without one.
#[derive(Debug, Clone)]
pub(super) struct Money {
    prefix: String,
    /// A code goes before the sign (`GBP -5,000`), a symbol after it
    /// (`-€5,000`).
    is_code: bool,
}

impl Money {
    pub(super) fn new(currency: &str) -> Self {
        let currency = currency.trim();
        if currency.eq_ignore_ascii_case("EUR") {
            Self {
                prefix: "€".to_owned(),
                is_code: false,
            }
        } else if !currency.is_empty() && currency.chars().all(char::is_alphabetic) {
            Self {
                prefix: format!("{currency} "),
                is_code: true,
            }
        } else {
            Self {
                prefix: currency.to_owned(),
                is_code: false,
            }
        }
    }

    /// Attaches the currency to a formatted number.
    fn attach(&self, number: &str) -> String {
        match number.strip_prefix('-') {
            Some(magnitude) if !self.is_code => format!("-{}{magnitude}", self.prefix),
            _ => format!("{}{number}", self.prefix),
        }
    }

    /// Tick label formatter for a money axis spanning `range`.
    pub(super) fn ticks(&self, range: (f64, f64)) -> impl Fn(&f64) -> String + use<> {
        let money = self.clone();
        let plain = tick_formatter(range);
        move |value| money.attach(&plain(value))
    }

    /// An amount for a label: whole units from 100 up, else up to 2
    /// decimals (`€20,000`, `€12.5`).
    pub(super) fn amount(&self, value: f64) -> String {
        // The printer truncates, so round first.
        let (value, decimals) = if value.abs() >= 100.0 {
            (value.round(), 0)
        } else {
            ((value * 100.0).round() / 100.0, 2)
        };
        let text = FloatPrettyPrinter {
            allow_scientific: false,
            min_decimal: 0,
            max_decimal: decimals,
        }
        .print(value);
        // A value that rounds to zero must not print as "-0".
        let text = if text.trim_start_matches(['-', '0', '.']).is_empty() {
            "0".to_owned()
        } else {
            text
        };
        self.attach(&group_thousands(&text))
    }

    /// A willingness-to-pay label, e.g. "€20,000/QALY".
    pub(super) fn per_qaly(&self, value: f64) -> String {
        format!("{}/QALY", self.amount(value))
    }

    /// An axis description with the unit in parentheses, e.g.
    /// "Incremental cost (€)"; no parentheses without a currency.
    pub(super) fn described(&self, what: &str, per: &str) -> String {
        match self.prefix.trim_end() {
            "" if per.is_empty() => what.to_owned(),
            "" => format!("{what} ({})", per.trim_start_matches('/')),
            unit => format!("{what} ({unit}{per})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_with_currency_and_separators() {
        let eur = Money::new("EUR");
        assert_eq!(eur.per_qaly(20_000.0), "€20,000/QALY");
        assert_eq!(eur.amount(-12_345.678), "-€12,346");
        assert_eq!(eur.amount(12.5), "€12.5");
        assert_eq!(eur.amount(-0.001), "€0");
        let ticks = eur.ticks((-50_000.0, 150_000.0));
        assert_eq!(ticks(&20_000.0), "€20,000");
        assert_eq!(ticks(&-5_000.0), "-€5,000");
        assert_eq!(
            eur.described("Incremental cost", ""),
            "Incremental cost (€)"
        );
        let gbp = Money::new("GBP");
        assert_eq!(gbp.per_qaly(30_000.0), "GBP 30,000/QALY");
        assert_eq!(gbp.attach("-5,000"), "GBP -5,000");
        assert_eq!(
            gbp.described("Willingness to pay", "/QALY"),
            "Willingness to pay (GBP/QALY)"
        );
        assert_eq!(Money::new("£").amount(1_000.0), "£1,000");
        let none = Money::new("");
        assert_eq!(none.amount(1_000.0), "1,000");
        assert_eq!(
            none.described("Willingness to pay", "/QALY"),
            "Willingness to pay (QALY)"
        );
    }
}
