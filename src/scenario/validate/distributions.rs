//! Distributions (`dist:` of a parameter or an attribute): the kind, the keys that form of
//! it accepts (natural parameters, `se` with a mean, or a 95% interval), and the fit.

use serde_saphyr::Spanned;

use crate::dist::{self, Dist, DistKind, DistSpec};

use super::super::raw::{RawDist, loc};
use super::Validator;

const KINDS: [&str; 6] = ["fixed", "beta", "gamma", "lognormal", "normal", "uniform"];

impl Validator {
    /// A fitted distribution; `value` is the parameter's point value, if it has one (it
    /// stands in for a missing `mean`).
    pub(super) fn dist(
        &mut self,
        d: &Spanned<RawDist>,
        value: Option<f64>,
        path: &str,
    ) -> Option<Dist> {
        let rd = &d.value;
        let at = loc(d);
        let (kind, kind_name) = self.dist_kind(rd, at, path)?;
        if !self.dist_keys(rd, kind, kind_name, at, path) {
            return None;
        }
        if value.is_none()
            && rd.mean.is_none()
            && matches!(kind, DistKind::Fixed | DistKind::Normal)
            && rd.ci95.is_none()
        {
            self.error(at, path, format!("a {kind_name} distribution here needs `mean` (there is no parameter value to default to)"));
            return None;
        }
        let spec = self.dist_spec(rd, kind, kind_name, value, at, path)?;
        match dist::fit(&spec) {
            Ok(d) => {
                let (lo, hi) = d.support();
                if let Some(v) = value
                    && !matches!(d, Dist::Fixed(_))
                    && !(lo..=hi).contains(&v)
                {
                    self.error(at, path, format!("the parameter value {v} is outside the support of its {kind_name} distribution ({lo} to {hi}); expected a point value the distribution can draw"));
                    return None;
                }
                Some(d)
            }
            Err(e) => {
                self.error(at, path, e.to_string());
                None
            }
        }
    }

    /// The `type` of a distribution, and its name as written.
    fn dist_kind<'r>(
        &mut self,
        rd: &'r RawDist,
        at: (u64, u64),
        path: &str,
    ) -> Option<(DistKind, &'r str)> {
        let Some(kind_name) = rd.kind.as_ref() else {
            self.error(
                at,
                path,
                format!("no `type`; expected one of: {}", KINDS.join(", ")),
            );
            return None;
        };
        let kind = match kind_name.value.as_str() {
            "fixed" => DistKind::Fixed,
            "beta" => DistKind::Beta,
            "gamma" => DistKind::Gamma,
            "lognormal" => DistKind::LogNormal,
            "normal" => DistKind::Normal,
            "uniform" => DistKind::Uniform,
            other => {
                let known: Vec<String> = KINDS.iter().map(|s| s.to_string()).collect();
                self.unknown(
                    loc(kind_name),
                    &format!("{path}.type"),
                    "distribution",
                    other,
                    &known,
                );
                return None;
            }
        };
        Some((kind, kind_name.value.as_str()))
    }

    /// Whether only keys of one form of this kind are given; reports the stray ones.
    fn dist_keys(
        &mut self,
        rd: &RawDist,
        kind: DistKind,
        kind_name: &str,
        at: (u64, u64),
        path: &str,
    ) -> bool {
        // Which keys were given, and which each form of this kind accepts.
        let given: Vec<&str> = [
            ("alpha", rd.alpha.is_some()),
            ("beta", rd.beta.is_some()),
            ("shape", rd.shape.is_some()),
            ("scale", rd.scale.is_some()),
            ("meanlog", rd.meanlog.is_some()),
            ("sdlog", rd.sdlog.is_some()),
            ("mean", rd.mean.is_some()),
            ("sd", rd.sd.is_some()),
            ("se", rd.se.is_some()),
            ("min", rd.min.is_some()),
            ("max", rd.max.is_some()),
            ("ci95", rd.ci95.is_some()),
        ]
        .iter()
        .filter(|(_, g)| *g)
        .map(|(k, _)| *k)
        .collect();
        let natural_keys: &[&str] = match kind {
            DistKind::Fixed => &["mean"],
            DistKind::Beta => &["alpha", "beta"],
            DistKind::Gamma => &["shape", "scale"],
            DistKind::LogNormal => &["meanlog", "sdlog"],
            DistKind::Normal => &["mean", "sd"],
            DistKind::Uniform => &["min", "max"],
        };
        let form_keys: &[&str] = if rd.ci95.is_some() {
            &["ci95", "mean"]
        } else if rd.se.is_some() {
            &["se", "mean"]
        } else {
            natural_keys
        };
        let stray: Vec<&str> = given
            .iter()
            .copied()
            .filter(|k| !form_keys.contains(k))
            .collect();
        if stray.is_empty() {
            return true;
        }
        self.error(
            at,
            path,
            format!(
                "{} {} not apply to this {} distribution given by {}; expected only {}",
                stray
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if stray.len() == 1 { "does" } else { "do" },
                kind_name,
                if rd.ci95.is_some() {
                    "`ci95`"
                } else if rd.se.is_some() {
                    "`se`"
                } else {
                    "its natural parameters"
                },
                form_keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        false
    }

    /// What the keys specify: a 95% interval, a mean and standard error, or the natural
    /// parameters; reports an interval of the wrong shape and an incomplete form.
    fn dist_spec(
        &mut self,
        rd: &RawDist,
        kind: DistKind,
        kind_name: &str,
        value: Option<f64>,
        at: (u64, u64),
        path: &str,
    ) -> Option<DistSpec> {
        if let Some(ci) = &rd.ci95 {
            if ci.len() != 2 {
                self.error(
                    at,
                    format!("{path}.ci95"),
                    format!("expected two numbers [low, high], found {}", ci.len()),
                );
                return None;
            }
            if let Some(v) = value
                && ci[0] < ci[1]
                && !(ci[0]..=ci[1]).contains(&v)
            {
                self.error(
                    at,
                    format!("{path}.ci95"),
                    format!("the parameter value {v} is outside its 95% interval [{}, {}]; expected the point estimate inside its interval", ci[0], ci[1]),
                );
                return None;
            }
            return Some(DistSpec::Ci95 {
                kind,
                low: ci[0],
                high: ci[1],
                mean: rd.mean,
            });
        }
        if let Some(se) = rd.se {
            let Some(mean) = rd.mean.or(value) else {
                self.error(at, path, "`se` given without `mean` or a parameter `value`");
                return None;
            };
            return Some(DistSpec::MeanSe { kind, mean, se });
        }
        if let Some(n) = natural(rd, kind, value) {
            return Some(DistSpec::Natural(n));
        }
        let expected = match kind {
            DistKind::Fixed => "nothing else",
            DistKind::Beta => "`alpha` and `beta`, or `se` (with `mean` or the value), or `ci95`",
            DistKind::Gamma => "`shape` and `scale`, or `se`, or `ci95`",
            DistKind::LogNormal => "`meanlog` and `sdlog`, or `se`, or `ci95`",
            DistKind::Normal => "`sd`, or `se`, or `ci95`",
            DistKind::Uniform => "`min` and `max`, or `ci95`",
        };
        self.error(
            at,
            path,
            format!("incomplete {kind_name} distribution; expected {expected}"),
        );
        None
    }
}

/// The distribution given by its natural parameters, when they are all there.
fn natural(rd: &RawDist, kind: DistKind, value: Option<f64>) -> Option<Dist> {
    match kind {
        DistKind::Fixed => Some(Dist::Fixed(rd.mean.or(value).unwrap_or(0.0))),
        DistKind::Beta => rd
            .alpha
            .zip(rd.beta)
            .map(|(alpha, beta)| Dist::Beta { alpha, beta }),
        DistKind::Gamma => rd
            .shape
            .zip(rd.scale)
            .map(|(shape, scale)| Dist::Gamma { shape, scale }),
        DistKind::LogNormal => rd
            .meanlog
            .zip(rd.sdlog)
            .map(|(meanlog, sdlog)| Dist::LogNormal { meanlog, sdlog }),
        DistKind::Normal => rd.sd.map(|sd| Dist::Normal {
            mean: rd.mean.or(value).unwrap_or(0.0),
            sd,
        }),
        DistKind::Uniform => rd
            .min
            .zip(rd.max)
            .map(|(min, max)| Dist::Uniform { min, max }),
    }
}
