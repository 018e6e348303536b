//! What readers see of a parameter: the label the scenario gives it, or else one derived
//! from its name by the naming convention (docs/scenario-format.md §1.5), so that no figure,
//! table or report shows a bare id.

use super::Model;

/// Words of parameter names written out in labels: the health-economics prefixes of the
/// naming convention (`p_`, `c_`, `hr_`, …; docs/scenario-format.md) and common
/// abbreviations.
const WORDS: [(&str, &str); 19] = [
    ("p", "probability"),
    ("r", "rate"),
    ("hr", "hazard ratio"),
    ("rr", "relative risk"),
    ("or", "odds ratio"),
    ("c", "cost"),
    ("u", "utility"),
    ("du", "disutility"),
    ("dis", "disutility"),
    ("n", "number of"),
    ("h", "hours"),
    ("min", "minutes"),
    ("t", "duration"),
    ("mh", "mental health"),
    ("gp", "GP"),
    ("w8", "week 8"),
    ("r8", "week 8 of the second course"),
    ("km", "km"),
    ("tau", "TAU"),
];

impl Model {
    /// Whether parameter `param` is an amount of money: a `c_` cost, by the naming
    /// convention (docs/scenario-format.md), shown with the currency wherever a reader sees
    /// its value.
    #[must_use]
    pub fn is_cost_param(&self, param: usize) -> bool {
        self.params[param].name.starts_with("c_")
    }

    /// The label of parameter `param` for readers: its `label:` from the scenario, else
    /// [`Model::derived_param_label`].
    #[must_use]
    pub fn param_label(&self, param: usize) -> String {
        match &self.params[param].label {
            Some(label) => label.clone(),
            None => self.derived_param_label(param),
        }
    }

    /// A readable label for parameter `param` from its name: the naming convention's prefix
    /// and abbreviations written out, a strategy's id as the strategy's short name in
    /// capitals (`p_w8_remission_ect` → "Probability week 8 remission, ECT").
    #[must_use]
    pub fn derived_param_label(&self, param: usize) -> String {
        let name = &self.params[param].name;
        let mut words: Vec<String> = Vec::new();
        let mut strategy = None;
        let tokens: Vec<&str> = name.split('_').filter(|t| !t.is_empty()).collect();
        let find_strategy = |t: &str| {
            self.strategies
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(t))
        };
        // Only a strategy id that ends the name, and the only one in it, names whose value
        // it is (`p_w8_remission_eko_after_ect` reads as written).
        let n_strategies = tokens.iter().filter(|t| find_strategy(t).is_some()).count();
        for (i, token) in tokens.iter().enumerate() {
            let lower = token.to_ascii_lowercase();
            if let Some(s) = find_strategy(token) {
                if i + 1 == tokens.len() && i > 0 && n_strategies == 1 {
                    strategy = Some(s.name.to_uppercase());
                } else {
                    words.push(s.name.to_uppercase());
                }
            } else if let Some((_, word)) = WORDS
                .iter()
                .find(|(short, _)| *short == lower)
                .filter(|(short, _)| i == 0 || short.len() > 1)
            {
                words.push((*word).to_owned());
            } else {
                words.push((*token).to_owned());
            }
        }
        let mut label = words.join(" ");
        if let Some(first) = label.get(..1) {
            label = first.to_uppercase() + &label[1..];
        }
        match strategy {
            Some(s) => format!("{label}, {s}"),
            None => label,
        }
    }
}

#[cfg(test)]
mod tests {
    fn flagship() -> crate::model::Model {
        crate::scenario::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/eko-vs-ect.yaml"),
        )
        .unwrap()
    }

    #[test]
    fn derived_labels_write_out_the_naming_convention() {
        let model = flagship();
        let label = |name: &str| {
            let i = model.params.iter().position(|p| p.name == name).unwrap();
            model.derived_param_label(i)
        };
        assert_eq!(
            label("p_w8_remission_eko"),
            "Probability week 8 remission, EKO"
        );
        assert_eq!(
            label("p_w8_remission_eko_after_ect"),
            "Probability week 8 remission EKO after ECT"
        );
        assert_eq!(label("c_esketamine_week"), "Cost esketamine week");
        assert_eq!(label("hr_sustain_pooled"), "Hazard ratio sustain pooled");
        assert_eq!(
            label("n_tau_mh_per_month"),
            "Number of TAU mental health per month"
        );
    }

    #[test]
    fn a_given_label_is_used_and_the_derived_one_is_the_fallback() {
        let mut model = flagship();
        let i = model
            .params
            .iter()
            .position(|p| p.name == "c_esketamine_week")
            .unwrap();
        model.params[i].label = Some("Weekly cost of esketamine".into());
        assert_eq!(model.param_label(i), "Weekly cost of esketamine");
        model.params[i].label = None;
        assert_eq!(model.param_label(i), "Cost esketamine week");
    }
}
