//! How the report writes numbers, one way everywhere: amounts of money with the currency
//! and thousands separators (`€27,927`, `−€5,182`), QALYs and other quantities to three
//! significant digits, probabilities as percentages, a willingness to pay as
//! `€20,000/QALY`, and an ICER as an amount per QALY or in words (`dominant`). No number
//! leaves here in exponent notation or with more than four significant digits after its
//! decimal point; the browser test checks the rendered tables for exactly that.

use crate::dist::Dist;
use crate::econ::Quadrant;

/// The minus sign of the report (U+2212), which lines up with the digits.
const MINUS: char = '−';

/// `x` rounded to `digits` significant digits (zero and non-finite values unchanged).
pub fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi((digits - 1 - x.abs().log10().floor() as i32).clamp(-300, 300));
    (x * scale).round() / scale
}

/// `x` with `decimals` decimals, its integer part grouped by thousands with commas, and a
/// true minus sign; a value that rounds to zero has no sign. Non-finite values, which
/// checked result files never hold, are written as `—`.
pub fn fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "—".to_string();
    }
    let text = format!("{:.*}", decimals, x.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push(MINUS);
    }
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// How many decimals show `x` to `digits` significant digits (at most 6, none for
/// whole numbers of that many digits or more).
fn decimals_for(x: f64, digits: i32) -> usize {
    if x == 0.0 || !x.is_finite() {
        return 0;
    }
    let x = significant(x, digits);
    (digits - 1 - x.abs().log10().floor() as i32).clamp(0, 6) as usize
}

/// `x` to `digits` significant digits (whole numbers keep all their digits), grouped:
/// `0.0142`, `1,750`, `12.3`.
pub fn number(x: f64, digits: i32) -> String {
    if x.abs() >= 10f64.powi(digits - 1) {
        return fixed(x, 0);
    }
    fixed(significant(x, digits), decimals_for(x, digits))
}

/// `x` to `digits` significant digits without trailing zeros: `8`, `1.5`, `0.48`.
pub fn plain(x: f64, digits: i32) -> String {
    let text = number(x, digits);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A quantity of QALYs or life-years: three significant digits, at least two decimals
/// (`0.820`, `0.0142`, `12.35`).
pub fn qalys(x: f64) -> String {
    fixed(x, decimals_for(x, 3).max(2))
}

/// How amounts are written in one currency: `€` for `EUR`, any other code as a prefix
/// with a space (`USD 20,000`), as the figures write them.
#[derive(Clone, Debug)]
pub struct Money {
    prefix: String,
}

impl Money {
    pub fn new(currency: &str) -> Money {
        let currency = currency.trim();
        let prefix = if currency.eq_ignore_ascii_case("EUR") {
            "€".to_string()
        } else if currency.is_empty() {
            String::new()
        } else {
            format!("{currency} ")
        };
        Money { prefix }
    }

    /// An amount: whole units from 100 up, else to the cent (`€27,927`, `−€5,182`, `€12.50`).
    pub fn amount(&self, x: f64) -> String {
        let text = fixed(x, if x.abs() >= 99.995 { 0 } else { 2 });
        match text.strip_prefix(MINUS) {
            Some(magnitude) => format!("{MINUS}{}{magnitude}", self.prefix),
            None => format!("{}{text}", self.prefix),
        }
    }

    /// A willingness to pay or an ICER: `€20,000/QALY`.
    pub fn per_qaly(&self, x: f64) -> String {
        format!("{}/QALY", self.amount(x))
    }

    /// An ICER in words from the increments against a comparator (Black 1990): an amount
    /// per QALY gained (north-east), an amount saved per QALY lost (south-west),
    /// `dominant` (no costlier and no less effective), `dominated` (the reverse) or
    /// `equal costs and QALYs`.
    pub fn icer(&self, inc_cost: f64, inc_qalys: f64) -> String {
        match Quadrant::of(inc_cost, inc_qalys) {
            Quadrant::Dominant => "dominant".to_string(),
            Quadrant::Dominated => "dominated".to_string(),
            Quadrant::Equivalent => "equal costs and QALYs".to_string(),
            Quadrant::MoreCostlyMoreEffective => self.per_qaly(inc_cost / inc_qalys),
            Quadrant::LessCostlyLessEffective => {
                format!("{} saved per QALY lost", self.amount(inc_cost / inc_qalys))
            }
        }
    }
}

/// A probability as a percentage to one decimal, without a trailing `.0`: `90.7%`, `100%`.
pub fn percent(p: f64) -> String {
    let text = fixed(p * 100.0, 1);
    format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
}

/// A list in words: `a`, `a and b`, `a, b and c`.
pub fn words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The family of a distribution in words, as a health economist names it.
pub fn family(d: &Dist) -> &'static str {
    match d {
        Dist::Fixed(_) => "fixed",
        Dist::Beta { .. } => "beta",
        Dist::Gamma { .. } => "gamma",
        Dist::LogNormal { .. } => "lognormal",
        Dist::Normal { .. } => "normal",
        Dist::Uniform { .. } => "uniform",
    }
}

/// A distribution's mean and its 95% interval (2.5th and 97.5th percentiles), each to
/// three significant digits: `0.700 (0.400 to 0.925)`; only the value for a fixed one.
pub fn mean_interval(d: &Dist) -> String {
    if let Dist::Fixed(v) = d {
        return plain(*v, 3);
    }
    format!(
        "{} ({} to {})",
        number(d.mean(), 3),
        number(d.quantile(0.025), 3),
        number(d.quantile(0.975), 3)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_separators_signs_and_significant_digits() {
        assert_eq!(fixed(1234567.891, 2), "1,234,567.89");
        assert_eq!(fixed(-999.6, 0), "−1,000");
        assert_eq!(
            fixed(-0.0004, 3),
            "0.000",
            "no sign on a value that rounds to zero"
        );
        assert_eq!(fixed(f64::NAN, 0), "—");
        assert_eq!(number(0.000554533, 3), "0.000555");
        assert_eq!(
            number(24211.9, 3),
            "24,212",
            "whole numbers keep their digits"
        );
        assert_eq!(number(1750.0, 3), "1,750");
        assert_eq!(number(0.0, 3), "0");
        assert_eq!(number(0.48000000000000004, 3), "0.480");
        assert_eq!(plain(8.0, 3), "8");
        assert_eq!(plain(1.5, 3), "1.5");
        assert_eq!(plain(0.48000000000000004, 3), "0.48");
        assert_eq!(plain(12345.0, 3), "12,345");
        assert_eq!(qalys(0.8196152926479396), "0.820");
        assert_eq!(qalys(0.014201145764849321), "0.0142");
        assert_eq!(qalys(12.3456), "12.35");
        assert_eq!(qalys(-0.009470608463778896), "−0.00947");
        assert_eq!(percent(0.907), "90.7%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(words(&["a".into(), "b".into(), "c".into()]), "a, b and c");
    }

    #[test]
    fn money_is_written_one_way() {
        let eur = Money::new("EUR");
        assert_eq!(eur.amount(27926.799412147866), "€27,927");
        assert_eq!(eur.amount(-5182.111687010856), "−€5,182");
        assert_eq!(eur.amount(12.5), "€12.50");
        assert_eq!(eur.amount(99.999), "€100");
        assert_eq!(eur.per_qaly(20000.0), "€20,000/QALY");
        assert_eq!(Money::new("USD").amount(-20000.0), "−USD 20,000");
        assert_eq!(Money::new("").amount(1500.0), "1,500");
    }

    /// The ICER in words follows the quadrant; the ratio only where it is a price per
    /// QALY gained or a saving per QALY lost (a negative ICER is never shown).
    #[test]
    fn icers_are_amounts_or_words() {
        let eur = Money::new("EUR");
        assert_eq!(eur.icer(-5182.0, 0.0142), "dominant");
        assert_eq!(eur.icer(10.0, -0.1), "dominated");
        assert_eq!(
            eur.icer(0.0, 0.1),
            "dominant",
            "no costlier, more effective"
        );
        assert_eq!(eur.icer(6000.0, 0.012), "€500,000/QALY");
        assert_eq!(eur.icer(-3000.0, -0.1), "€30,000 saved per QALY lost");
        assert_eq!(eur.icer(0.0, 0.0), "equal costs and QALYs");
    }

    /// Means and 95% intervals against closed forms: Beta(7, 3) has mean 0.7 and
    /// percentiles 0.3999 and 0.9251 (the binomial sum of the regularised incomplete beta function, inverted by bisection); a lognormal with
    /// meanlog 0 and sdlog 0.35 has mean exp(0.06125) = 1.063 and interval
    /// exp(±1.95996 × 0.35) = 0.504 to 1.99.
    #[test]
    fn distributions_as_mean_and_interval() {
        let beta = Dist::Beta {
            alpha: 7.0,
            beta: 3.0,
        };
        assert_eq!(family(&beta), "beta");
        assert_eq!(mean_interval(&beta), "0.700 (0.400 to 0.925)");
        let ln = Dist::LogNormal {
            meanlog: 0.0,
            sdlog: 0.35,
        };
        assert_eq!(family(&ln), "lognormal");
        assert_eq!(mean_interval(&ln), "1.06 (0.504 to 1.99)");
        assert_eq!(mean_interval(&Dist::Fixed(5.0)), "5");
        let gamma = Dist::Gamma {
            shape: 4.0,
            scale: 2.5,
        };
        // Gamma(4, 2.5): mean 10, percentiles 2.72 and 21.9 (chi-squared with 8 degrees of
        // freedom, 2.180 and 17.535, times 1.25).
        assert_eq!(mean_interval(&gamma), "10.0 (2.72 to 21.9)");
    }
}
