//! Lookup tables read from CSV files next to a scenario (for example a life table).
//!
//! A table has at most one numeric key (looked up by step or linear interpolation),
//! any number of categorical keys (matched exactly by level code) and one value column.
//! Parsing happens once at load time; `lookup` does no allocation, hashing or string work.

use std::fmt;

/// How a numeric key between two table rows is looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    /// The row with the largest key not above the argument (age 45.7 reads the row for 45).
    Step,
    /// Linear interpolation between the two neighbouring rows.
    Linear,
}

/// What happens when the numeric argument lies outside the table's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfRange {
    /// Use the first or last row.
    Clamp,
    /// Return NaN, which the engine reports as an error naming the transition.
    Error,
}

/// One combination of categorical keys with its sorted numeric curve.
#[derive(Clone, Debug)]
struct Group {
    codes: Vec<f64>,
    keys: Vec<f64>,
    values: Vec<f64>,
}

/// A parsed lookup table.
#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    /// Name of the numeric key column, if any.
    pub numeric_key: Option<String>,
    /// Names of the categorical key columns, in argument order after the numeric key.
    pub categorical_keys: Vec<String>,
    pub interpolation: Interpolation,
    pub out_of_range: OutOfRange,
    /// Where the numbers come from, as the scenario states it.
    pub source: Option<String>,
    groups: Vec<Group>,
}

/// A problem in a table file, with the 1-based line it was found on.
#[derive(Clone, Debug, PartialEq)]
pub struct TableError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What to read from a CSV file.
#[derive(Clone, Debug)]
pub struct TableSpec<'a> {
    pub name: &'a str,
    pub numeric_key: Option<&'a str>,
    pub categorical_keys: &'a [String],
    pub value: &'a str,
    pub interpolation: Interpolation,
    pub out_of_range: OutOfRange,
    /// Rows are kept only when every `(column, value)` filter matches (e.g. `year: 2019`).
    pub filters: &'a [(String, String)],
}

/// Split one CSV line on commas, honouring double quotes (RFC 4180 without embedded newlines).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields.iter().map(|f| f.trim().to_string()).collect()
}

/// Parse CSV text into a table; `level_code` maps a categorical value to its global level code.
pub fn parse(
    text: &str,
    spec: &TableSpec<'_>,
    level_code: &mut dyn FnMut(&str) -> usize,
) -> Result<Table, TableError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or(TableError {
        line: 1,
        message: "the file is empty; expected a header row".into(),
    })?;
    let header = split_csv_line(header);
    let cols = Columns::of(&header, spec)?;
    let mut groups: Vec<Group> = Vec::new();
    for (idx, line) in lines {
        add_row(&mut groups, &header, &cols, line, idx + 1, level_code)?;
    }
    if groups.is_empty() {
        return Err(TableError {
            line: 1,
            message: "no data rows (after filters)".into(),
        });
    }
    for g in &mut groups {
        let mut pairs: Vec<(f64, f64)> = g
            .keys
            .iter()
            .copied()
            .zip(g.values.iter().copied())
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        g.keys = pairs.iter().map(|p| p.0).collect();
        g.values = pairs.iter().map(|p| p.1).collect();
    }
    Ok(Table {
        name: spec.name.to_string(),
        numeric_key: spec.numeric_key.map(str::to_string),
        categorical_keys: spec.categorical_keys.to_vec(),
        interpolation: spec.interpolation,
        out_of_range: spec.out_of_range,
        source: None,
        groups,
    })
}

/// Where the columns a table reads sit in its header.
struct Columns<'s> {
    value: usize,
    numeric: Option<usize>,
    categorical: Vec<usize>,
    filters: Vec<(usize, &'s str)>,
}

impl<'s> Columns<'s> {
    fn of(header: &[String], spec: &'s TableSpec<'_>) -> Result<Self, TableError> {
        let column = |name: &str| -> Result<usize, TableError> {
            header.iter().position(|h| h == name).ok_or_else(|| {
                let hint = crate::suggest::did_you_mean(name, header.iter().map(String::as_str))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                TableError {
                    line: 1,
                    message: format!(
                        "no column `{name}` in the header (columns: {}){hint}",
                        header.join(", ")
                    ),
                }
            })
        };
        Ok(Columns {
            value: column(spec.value)?,
            numeric: spec.numeric_key.map(column).transpose()?,
            categorical: spec
                .categorical_keys
                .iter()
                .map(|k| column(k))
                .collect::<Result<Vec<_>, _>>()?,
            filters: spec
                .filters
                .iter()
                .map(|(c, v)| Ok((column(c)?, v.as_str())))
                .collect::<Result<Vec<_>, TableError>>()?,
        })
    }
}

/// Add one data row to its group (rows that a filter excludes are skipped).
fn add_row(
    groups: &mut Vec<Group>,
    header: &[String],
    cols: &Columns<'_>,
    line: &str,
    line_no: usize,
    level_code: &mut dyn FnMut(&str) -> usize,
) -> Result<(), TableError> {
    let fields = split_csv_line(line);
    if fields.len() != header.len() {
        return Err(TableError {
            line: line_no,
            message: format!(
                "expected {} fields as in the header, found {}",
                header.len(),
                fields.len()
            ),
        });
    }
    if cols.filters.iter().any(|(c, v)| fields[*c] != *v) {
        return Ok(());
    }
    let number = |col: usize| -> Result<f64, TableError> {
        let raw = &fields[col];
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(TableError {
                line: line_no,
                message: format!(
                    "column `{}`: expected a finite number, found `{raw}`",
                    header[col]
                ),
            }),
        }
    };
    let value = number(cols.value)?;
    let key = cols.numeric.map(number).transpose()?.unwrap_or(0.0);
    let codes: Vec<f64> = cols
        .categorical
        .iter()
        .map(|c| level_code(&fields[*c]) as f64)
        .collect();
    let group = match groups.iter_mut().position(|g| g.codes == codes) {
        Some(i) => &mut groups[i],
        None => {
            groups.push(Group {
                codes,
                keys: Vec::new(),
                values: Vec::new(),
            });
            groups.last_mut().expect("a group was just pushed")
        }
    };
    if group.keys.contains(&key) {
        return Err(TableError {
            line: line_no,
            message: if cols.numeric.is_some() {
                format!("duplicate row for key {key} (add a filter or a categorical key)")
            } else {
                "duplicate row for the same categorical keys".to_string()
            },
        });
    }
    group.keys.push(key);
    group.values.push(value);
    Ok(())
}

impl Table {
    /// Number of arguments `lookup` expects.
    pub fn arity(&self) -> usize {
        usize::from(self.numeric_key.is_some()) + self.categorical_keys.len()
    }

    /// True when some row has exactly this numeric key (for tables keyed by year).
    pub fn has_key(&self, x: f64) -> bool {
        self.groups.iter().any(|g| g.keys.contains(&x))
    }

    /// The numeric keys that every group of rows covers: the largest first key and the
    /// smallest last key over the groups; `None` without a numeric key. Outside it, some
    /// lookup falls outside its group's rows.
    pub fn common_key_range(&self) -> Option<(f64, f64)> {
        self.numeric_key.as_ref()?;
        let first = self.groups.iter().map(|g| g.keys[0]);
        let last = self.groups.iter().map(|g| g.keys[g.keys.len() - 1]);
        Some((
            first.fold(f64::NEG_INFINITY, f64::max),
            last.fold(f64::INFINITY, f64::min),
        ))
    }

    /// Look up a value: `args` is the numeric key (if any) then the categorical level codes.
    /// Returns NaN when no row matches or the key is out of range under `OutOfRange::Error`.
    pub fn lookup(&self, args: &[f64]) -> f64 {
        self.lookup_span(args).0
    }

    /// The value at `args` with the span of the numeric key over which it holds: for every
    /// `x` in `[lo, hi)` with the same categorical arguments, `lookup` gives the same bits.
    /// A step table's span is its row's interval (the first and last rows reach out to
    /// infinity when out-of-range arguments are clamped); a linear one's, one without a
    /// numeric key, and a missing value's, is empty, so a caller that reuses the value within the span is exact.
    pub fn lookup_span(&self, args: &[f64]) -> (f64, f64, f64) {
        let f = self.locate(args);
        (f.value, f.lo, f.hi)
    }

    /// The row whose value `lookup` gives at `args`, numbered as `row_values` lists them: only
    /// where it gives a row's value as it is, never for a value interpolated between rows or
    /// NaN (and not at an inner key of a linear table, where the value is the row's).
    /// Wherever a step table's `lookup` is not NaN, it names the row.
    pub fn lookup_row(&self, args: &[f64]) -> Option<usize> {
        self.locate(args).row
    }

    /// Whether every `lookup` that is not NaN reads one row's value as it is (`lookup_row`
    /// names it): a step table, or one without a numeric key.
    pub fn gives_rows(&self) -> bool {
        self.numeric_key.is_none() || self.interpolation == Interpolation::Step
    }

    /// Every row's value, groups of categorical levels one after another: what `lookup`
    /// gives where `lookup_row` gives the row's number.
    pub fn row_values(&self) -> impl Iterator<Item = f64> + '_ {
        self.groups.iter().flat_map(|g| g.values.iter().copied())
    }

    /// `lookup_span` with the number of the row read (`lookup_row`).
    fn locate(&self, args: &[f64]) -> Found {
        const NONE: (f64, f64) = (f64::INFINITY, f64::NEG_INFINITY);
        let missing = Found {
            value: f64::NAN,
            lo: NONE.0,
            hi: NONE.1,
            row: None,
        };
        let (x, codes) = if self.numeric_key.is_some() {
            match args.split_first() {
                Some((x, rest)) => (*x, rest),
                None => return missing,
            }
        } else {
            (0.0, args)
        };
        let mut first_row = 0;
        let mut found = None;
        for g in &self.groups {
            if g.codes == codes {
                found = Some(g);
                break;
            }
            first_row += g.values.len();
        }
        let Some(group) = found else {
            return missing;
        };
        // Row i of the group, valid over `(lo, hi)`.
        let at = |i: usize, (lo, hi): (f64, f64)| Found {
            value: group.values[i],
            lo,
            hi,
            row: Some(first_row + i),
        };
        if self.numeric_key.is_none() {
            // No numeric key: the first argument is a level, so no span is given.
            return at(0, NONE);
        }
        if x.is_nan() {
            return missing;
        }
        let keys = &group.keys;
        let last = keys.len() - 1;
        let step = self.interpolation == Interpolation::Step;
        let span = |lo: f64, hi: f64| if step { (lo, hi) } else { NONE };
        if x < keys[0] || x > keys[last] {
            return match self.out_of_range {
                OutOfRange::Error => missing,
                OutOfRange::Clamp if x < keys[0] => at(0, span(f64::NEG_INFINITY, keys[0])),
                OutOfRange::Clamp => at(last, span(keys[last], f64::INFINITY)),
            };
        }
        // Index of the last key <= x.
        let i = keys.partition_point(|k| *k <= x) - 1;
        match self.interpolation {
            Interpolation::Step if i == last => match self.out_of_range {
                OutOfRange::Clamp => at(i, (keys[last], f64::INFINITY)),
                // Only the last key itself reads the last row: no span worth keeping.
                OutOfRange::Error => at(i, NONE),
            },
            Interpolation::Step => at(i, (keys[i], keys[i + 1])),
            Interpolation::Linear if i == last => at(last, NONE),
            Interpolation::Linear => {
                let w = (x - keys[i]) / (keys[i + 1] - keys[i]);
                Found {
                    value: group.values[i] + w * (group.values[i + 1] - group.values[i]),
                    lo: NONE.0,
                    hi: NONE.1,
                    row: None,
                }
            }
        }
    }
}

/// What `Table::locate` finds: the value, the span over which it holds, and the row read.
struct Found {
    value: f64,
    lo: f64,
    hi: f64,
    row: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str, interpolation: Interpolation, out_of_range: OutOfRange) -> Table {
        let mut levels: Vec<String> = Vec::new();
        let cats = vec!["sex".to_string()];
        let spec = TableSpec {
            name: "t",
            numeric_key: Some("age"),
            categorical_keys: &cats,
            value: "qx",
            interpolation,
            out_of_range,
            filters: &[],
        };
        parse(text, &spec, &mut |s| {
            levels.iter().position(|l| l == s).unwrap_or_else(|| {
                levels.push(s.to_string());
                levels.len() - 1
            })
        })
        .unwrap()
    }

    const CSV: &str =
        "age,sex,qx\n40,male,0.010\n41,male,0.020\n40,female,0.005\n41,female,0.007\n";

    #[test]
    fn step_and_linear_lookup() {
        let t = table(CSV, Interpolation::Step, OutOfRange::Clamp);
        assert_eq!(t.lookup(&[40.7, 0.0]), 0.010);
        assert_eq!(t.lookup(&[41.0, 1.0]), 0.007);
        let t = table(CSV, Interpolation::Linear, OutOfRange::Clamp);
        assert!((t.lookup(&[40.25, 0.0]) - 0.0125).abs() < 1e-15);
    }

    proptest::proptest! {
        /// Any argument inside the span a lookup reports reads the same bits, for every
        /// interpolation and out-of-range policy (the memo of `engine::memo` relies on it).
        #[test]
        fn a_lookup_holds_over_its_span(
            x in proptest::prop_oneof![
                -5.0f64..60.0,
                proptest::sample::select(vec![0.0, 18.0, 40.0, 41.0, 55.0]),
            ],
            y in -5.0f64..60.0,
            sex in 0u8..3,
            linear: bool,
            clamp: bool,
        ) {
            let csv = "age,sex,qx\n0,male,0.001\n18,male,0.002\n40,male,0.010\n41,male,0.020\n\
                       40,female,0.005\n41,female,0.007\n55,female,0.03\n";
            let interpolation = if linear { Interpolation::Linear } else { Interpolation::Step };
            let out_of_range = if clamp { OutOfRange::Clamp } else { OutOfRange::Error };
            let t = table(csv, interpolation, out_of_range);
            let code = f64::from(sex);
            let (v, lo, hi) = t.lookup_span(&[x, code]);
            proptest::prop_assert_eq!(v.to_bits(), t.lookup(&[x, code]).to_bits());
            if lo <= y && y < hi {
                proptest::prop_assert_eq!(v.to_bits(), t.lookup(&[y, code]).to_bits());
            }
            // A step table's value has a span holding its argument (but the last key's
            // under `error`, which only that key reads).
            if !linear && !v.is_nan() && (clamp || (x != 41.0 && x != 55.0)) {
                proptest::prop_assert!(lo <= x && x < hi, "{x} outside [{lo}, {hi})");
            }
            // The row a lookup reads holds its value, in its own group (male rows first, as
            // the file lists them); a step table always names it, an interpolated value never.
            match t.lookup_row(&[x, code]) {
                Some(r) => {
                    let row = t.row_values().nth(r).map(f64::to_bits);
                    proptest::prop_assert_eq!(row, Some(v.to_bits()));
                    proptest::prop_assert_eq!(r >= 4, sex == 1);
                }
                None => proptest::prop_assert!(v.is_nan() || linear),
            }
            if t.gives_rows() && !v.is_nan() {
                proptest::prop_assert!(t.lookup_row(&[x, code]).is_some());
            }
        }
    }

    #[test]
    fn a_table_without_a_numeric_key_names_its_rows() {
        let mut levels: Vec<String> = Vec::new();
        let cats = vec!["sex".to_string()];
        let spec = TableSpec {
            name: "t",
            numeric_key: None,
            categorical_keys: &cats,
            value: "qx",
            interpolation: Interpolation::Linear,
            out_of_range: OutOfRange::Error,
            filters: &[],
        };
        let t = parse("sex,qx\nmale,0.25\nfemale,0.5\n", &spec, &mut |s| {
            levels.iter().position(|l| l == s).unwrap_or_else(|| {
                levels.push(s.to_string());
                levels.len() - 1
            })
        })
        .unwrap();
        assert!(t.gives_rows());
        assert_eq!(t.row_values().collect::<Vec<_>>(), [0.25, 0.5]);
        assert_eq!((t.lookup(&[1.0]), t.lookup_row(&[1.0])), (0.5, Some(1)));
        assert_eq!((t.lookup(&[0.0]), t.lookup_row(&[0.0])), (0.25, Some(0)));
        assert!(t.lookup(&[2.0]).is_nan() && t.lookup_row(&[2.0]).is_none());
    }

    #[test]
    fn common_key_range_is_what_every_group_covers() {
        let t = table(
            "age,sex,qx\n40,male,0.01\n45,male,0.02\n38,female,0.005\n44,female,0.007\n",
            Interpolation::Step,
            OutOfRange::Clamp,
        );
        assert_eq!(t.common_key_range(), Some((40.0, 44.0)));
    }

    #[test]
    fn out_of_range_policies() {
        let t = table(CSV, Interpolation::Step, OutOfRange::Clamp);
        assert_eq!(t.lookup(&[20.0, 0.0]), 0.010);
        assert_eq!(t.lookup(&[90.0, 1.0]), 0.007);
        let t = table(CSV, Interpolation::Step, OutOfRange::Error);
        assert!(t.lookup(&[90.0, 1.0]).is_nan());
        assert!(t.lookup(&[40.0, 7.0]).is_nan(), "unknown level");
    }

    #[test]
    fn errors_name_the_line() {
        let spec = TableSpec {
            name: "t",
            numeric_key: Some("age"),
            categorical_keys: &[],
            value: "qx",
            interpolation: Interpolation::Step,
            out_of_range: OutOfRange::Clamp,
            filters: &[],
        };
        let err = parse("age,qx\n1,0.1\n2,abc\n", &spec, &mut |_| 0).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(
            err.message
                .contains("expected a finite number, found `abc`")
        );
        let err = parse("age,q\n1,0.1\n", &spec, &mut |_| 0).unwrap_err();
        assert!(err.message.contains("no column `qx`"), "{}", err.message);
        let err = parse("age,qx\n1,0.1\n1,0.2\n", &spec, &mut |_| 0).unwrap_err();
        assert_eq!(err.line, 3);
    }

    #[test]
    fn quoted_fields() {
        assert_eq!(
            split_csv_line(r#""a,b",c,"d""e""#),
            vec!["a,b", "c", "d\"e"]
        );
    }
}
