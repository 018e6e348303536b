//! Where each outcome sits in a per-strategy outcome vector.

use crate::model::Model;

// ---------------------------------------------------------------------------
// Outcome layout and statistics
// ---------------------------------------------------------------------------

/// Positions of the outcomes in a per-strategy outcome vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub n_categories: usize,
    pub n_perspectives: usize,
    pub n_wtp: usize,
}

impl Layout {
    /// Length of an outcome vector.
    pub fn len(&self) -> usize {
        2 * self.n_categories + 4 + 2 * self.n_perspectives + self.n_perspectives * self.n_wtp
    }

    /// Layout for a model.
    pub fn of(model: &Model) -> Self {
        Layout {
            n_categories: model.cost_categories.len(),
            n_perspectives: model.perspectives.len(),
            n_wtp: model.settings.wtp_per_qaly.len(),
        }
    }
    /// Always false: every layout has QALYs and life-years.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Cost in one category.
    pub fn cost(&self, category: usize, discounted: bool) -> usize {
        2 * category + usize::from(!discounted)
    }
    /// Quality-adjusted life-years.
    pub fn qalys(&self, discounted: bool) -> usize {
        2 * self.n_categories + usize::from(!discounted)
    }
    /// Life-years.
    pub fn life_years(&self, discounted: bool) -> usize {
        2 * self.n_categories + 2 + usize::from(!discounted)
    }
    /// Total cost counted by one perspective.
    pub fn perspective(&self, perspective: usize, discounted: bool) -> usize {
        2 * self.n_categories + 4 + 2 * perspective + usize::from(!discounted)
    }
    /// Discounted net monetary benefit, wtp·QALYs − cost, for one perspective and threshold.
    pub fn nmb(&self, perspective: usize, wtp: usize) -> usize {
        2 * self.n_categories + 4 + 2 * self.n_perspectives + perspective * self.n_wtp + wtp
    }

    /// Name of outcome `k` for messages.
    pub fn describe(&self, model: &Model, k: usize) -> String {
        let disc = |k: usize| {
            if k.is_multiple_of(2) {
                "discounted"
            } else {
                "undiscounted"
            }
        };
        if k < 2 * self.n_categories {
            format!("{} cost `{}`", disc(k), model.cost_categories[k / 2])
        } else if k < 2 * self.n_categories + 2 {
            format!("{} QALYs", disc(k))
        } else if k < 2 * self.n_categories + 4 {
            format!("{} life-years", disc(k))
        } else if k < self.nmb(0, 0) {
            let p = (k - self.perspective(0, true)) / 2;
            format!(
                "{} total cost of the `{}` perspective",
                disc(k),
                model.perspectives[p].name
            )
        } else {
            let i = k - self.nmb(0, 0);
            let (p, w) = (i / self.n_wtp, i % self.n_wtp);
            format!(
                "net monetary benefit at {} per QALY (settings.wtp[{w}]) in the `{}` perspective",
                model.settings.wtp_per_qaly[w], model.perspectives[p].name
            )
        }
    }

    /// Fill the perspective totals and net monetary benefits from the per-category costs.
    pub fn complete(&self, model: &Model, out: &mut [f64]) {
        for (p, persp) in model.perspectives.iter().enumerate() {
            for disc in [true, false] {
                out[self.perspective(p, disc)] = persp
                    .includes
                    .iter()
                    .enumerate()
                    .filter(|(_, inc)| **inc)
                    .map(|(c, _)| out[self.cost(c, disc)])
                    .sum();
            }
            for (w, wtp) in model.settings.wtp_per_qaly.iter().enumerate() {
                out[self.nmb(p, w)] = wtp * out[self.qalys(true)] - out[self.perspective(p, true)];
            }
        }
    }
}
