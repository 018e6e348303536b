//! The `voi_groups` section: named groups of parameters whose joint expected value of
//! partial perfect information is reported. Each member must vary between probabilistic
//! draws (a parameter with a `dist`, or a Dirichlet member), and a group's name must not
//! be taken by a parameter or a Dirichlet group (those names label the automatic rows).

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use crate::model::{Model, ParamDef, ParamId, VoiGroup};

use super::super::raw::{in_file_order, loc};
use super::{Validator, is_identifier};

impl Validator {
    /// The groups, once all parameters and Dirichlet groups are known.
    pub(super) fn voi_groups(
        &mut self,
        raw: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
        model: &Model,
    ) -> Vec<VoiGroup> {
        let names: Vec<String> = model.params.iter().map(|p| p.name.clone()).collect();
        let mut groups = Vec::new();
        for (name, list) in in_file_order(raw) {
            let path = format!("voi_groups.{name}");
            let at = loc(&list);
            if !is_identifier(&name) {
                self.error(at, &path, format!("invalid group name `{name}`; expected letters, digits and underscores, starting with a letter"));
            } else if names.contains(&name) || model.dirichlet.iter().any(|g| g.name == name) {
                self.error(at, &path, format!("`{name}` is already the name of a parameter or a Dirichlet group; expected another name for the group"));
            }
            if list.value.is_empty() {
                self.error(at, &path, "empty group; expected at least one parameter");
            }
            let mut members: Vec<ParamId> = Vec::new();
            for (i, member) in list.value.iter().enumerate() {
                let path = format!("{path}[{i}]");
                let Some(id) = names.iter().position(|n| *n == member.value) else {
                    self.unknown(loc(member), &path, "parameter", &member.value, &names);
                    continue;
                };
                let drawn = matches!(
                    model.params[id].def,
                    ParamDef::Value { dist: Some(_), .. } | ParamDef::Dirichlet { .. }
                );
                if !drawn {
                    self.error(loc(member), &path, format!("parameter `{}` does not vary between probabilistic draws; expected a parameter with a `dist` or a Dirichlet member", member.value));
                } else if members.contains(&ParamId(id)) {
                    self.error(
                        loc(member),
                        &path,
                        format!("parameter `{}` listed twice in the group", member.value),
                    );
                } else {
                    members.push(ParamId(id));
                }
            }
            groups.push(VoiGroup { name, members });
        }
        groups
    }
}
