//! Built-in functions: the table of names and arities the compiler checks calls against, and
//! the numeric definitions of the conversions and truth values the bytecode evaluates.

/// A built-in function, as named in [`FUNCTIONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Func {
    Exp,
    Log,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Pow,
    Min,
    Max,
    If,
    ProbToRate,
    RateToProb,
    CycleProb,
    Odds,
    OddsToProb,
    HrProb,
    CumProbToCycle,
    WeibullSurv,
    Lookup,
}

/// How a built-in function is called: its name, arity and usage shown in errors.
pub(super) struct FuncInfo {
    pub(super) name: &'static str,
    pub(super) func: Func,
    /// Fewest arguments accepted.
    pub(super) min_args: usize,
    /// Whether more than `min_args` arguments are accepted.
    pub(super) variadic: bool,
    /// Call shape shown in arity errors.
    pub(super) usage: &'static str,
}

/// A function taking exactly `args` arguments.
const fn func(name: &'static str, func: Func, args: usize, usage: &'static str) -> FuncInfo {
    FuncInfo {
        name,
        func,
        min_args: args,
        variadic: false,
        usage,
    }
}

/// A function taking `min` or more arguments.
const fn variadic(name: &'static str, func: Func, min: usize, usage: &'static str) -> FuncInfo {
    FuncInfo {
        name,
        func,
        min_args: min,
        variadic: true,
        usage,
    }
}

/// Every built-in function; names not listed here are not callable.
pub(super) const FUNCTIONS: &[FuncInfo] = &[
    func("exp", Func::Exp, 1, "exp(x)"),
    func("log", Func::Log, 1, "log(x)"),
    func("sqrt", Func::Sqrt, 1, "sqrt(x)"),
    func("abs", Func::Abs, 1, "abs(x)"),
    func("floor", Func::Floor, 1, "floor(x)"),
    func("ceil", Func::Ceil, 1, "ceil(x)"),
    func("pow", Func::Pow, 2, "pow(x, y)"),
    variadic("min", Func::Min, 1, "min(a, b, ...)"),
    variadic("max", Func::Max, 1, "max(a, b, ...)"),
    func("if", Func::If, 3, "if(condition, then, else)"),
    func("prob_to_rate", Func::ProbToRate, 2, "prob_to_rate(p, t)"),
    func("rate_to_prob", Func::RateToProb, 2, "rate_to_prob(r, t)"),
    func("cycle_prob", Func::CycleProb, 1, "cycle_prob(r)"),
    func("odds", Func::Odds, 1, "odds(p)"),
    func("odds_to_prob", Func::OddsToProb, 1, "odds_to_prob(o)"),
    func("hr_prob", Func::HrProb, 2, "hr_prob(p, hr)"),
    func(
        "cum_prob_to_cycle",
        Func::CumProbToCycle,
        2,
        "cum_prob_to_cycle(p, t)",
    ),
    func(
        "weibull_surv",
        Func::WeibullSurv,
        3,
        "weibull_surv(lambda, k, t)",
    ),
    variadic("lookup", Func::Lookup, 1, "lookup(table, key, ...)"),
];

/// The built-in function called `name`, if there is one.
pub(super) fn find_function(name: &str) -> Option<&'static FuncInfo> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Converts a probability over `t` years to a constant rate: `-ln(1 - p) / t`.
///
/// Source: Fleurence RL, Hollenbeak CS (2007). Rates and probabilities in economic modelling:
/// transformation, translation and appropriate application. PharmacoEconomics 25(1):3–6.
/// `ln_1p` keeps precision for the small probabilities typical of monthly cycles.
pub(super) fn prob_to_rate(p: f64, t: f64) -> f64 {
    -(-p).ln_1p() / t
}

/// Converts a constant rate to the probability of an event within `t` years: `1 - exp(-r·t)`.
///
/// Source: Fleurence RL, Hollenbeak CS (2007), PharmacoEconomics 25(1):3–6.
/// `exp_m1` keeps precision when `r·t` is small.
pub(super) fn rate_to_prob(r: f64, t: f64) -> f64 {
    -(-r * t).exp_m1()
}

/// Applies a hazard ratio to a probability over the same interval: `1 - (1 - p)^hr`.
///
/// Equivalent to converting `p` to a rate, multiplying by `hr` and converting back.
pub(super) fn hr_prob(p: f64, hr: f64) -> f64 {
    -(hr * (-p).ln_1p()).exp_m1()
}

/// Converts a cumulative probability `p` by time `t` years to a per-cycle probability for a
/// cycle of `cycle` years, assuming a constant hazard: `1 - (1 - p)^(cycle / t)`.
pub(super) fn cum_prob_to_cycle(p: f64, t: f64, cycle: f64) -> f64 {
    -((cycle / t) * (-p).ln_1p()).exp_m1()
}

/// Weibull survival function `exp(-(lambda·t)^k)` (scale given as a rate `lambda`).
pub(super) fn weibull_surv(lambda: f64, k: f64, t: f64) -> f64 {
    (-(lambda * t).powf(k)).exp()
}

/// Truthiness used by logical operators and `if`.
pub(super) fn truthy(x: f64) -> bool {
    x != 0.0
}

/// `1.0` for true, `0.0` for false: the value of comparisons and logical operators.
pub(super) fn from_bool(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Like `f64::min`/`max`, but a NaN operand propagates so bad inputs are not silently masked.
pub(super) fn nan_or(a: f64, b: f64, pick: fn(f64, f64) -> f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        pick(a, b)
    }
}
