//! The final guard: no CSV file of a result directory holds NaN or an infinity.
//!
//! The analyses refuse to produce non-finite results and name the input that caused them
//! (`engine::check_results`, `analysis::finite`). This guard is the backstop where the files
//! are written, so that a case those checks miss still stops the run (exit 2, nothing
//! written) instead of reaching a file: it names the file, the line and the column.
//!
//! The CSV text is our own writer's: numbers are written unquoted with Rust's `Display`, which
//! spells the non-finite values `NaN`, `inf` and `-inf`; text is quoted only when it needs to
//! be (`super::field`). Columns that hold names rather than numbers are listed in
//! [`TEXT_COLUMNS`], so a strategy or state called `inf` is not mistaken for a number.

use std::path::Path;

use super::OutputError;

/// Columns of the result files that hold names or labels, never numbers.
const TEXT_COLUMNS: &[&str] = &[
    "basis",
    "best",
    "category",
    "compared_to",
    "discounted",
    "dominated_by",
    "from",
    "in_first",
    "in_this",
    "item",
    "kind",
    "measure",
    "method",
    "name",
    "optimal",
    "outcome",
    "parameter",
    "parameters",
    "perspective",
    "preferred",
    "quadrant",
    "reference",
    "scenario",
    "source",
    "state",
    "status",
    "strategy",
    "to",
];

/// One field of a record: its text and whether it was quoted.
struct Field {
    text: String,
    quoted: bool,
}

/// Refuse CSV text with a non-finite number in a numeric column.
pub(super) fn check_csv(path: &Path, text: &str) -> Result<(), OutputError> {
    let records = records(text);
    let Some((_, header)) = records.first() else {
        return Ok(());
    };
    for (line, record) in records.iter().skip(1) {
        for (j, f) in record.iter().enumerate() {
            let column = header.get(j).map_or("", |h| h.text.as_str());
            if !f.quoted
                && matches!(f.text.as_str(), "NaN" | "inf" | "-inf")
                && !TEXT_COLUMNS.contains(&column)
            {
                // The file sits in the run's temporary directory: name it as the user knows it.
                let name = path.file_name().map_or(path.as_os_str(), |n| n);
                return Err(OutputError(format!(
                    "`{}` line {line}, column `{column}`: {}; expected a finite number (a result overflowed or is undefined; no result directory was written)",
                    name.display(),
                    f.text
                )));
            }
        }
    }
    Ok(())
}

/// The records of CSV text (RFC 4180: quoted fields may hold commas, quotes and newlines),
/// each with the 1-based line it starts on.
fn records(text: &str) -> Vec<(usize, Vec<Field>)> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = Field::empty();
    let (mut line, mut start) = (1, 1);
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                field.text.push('"');
                chars.next();
            }
            '"' => {
                in_quotes = !in_quotes;
                field.quoted = true;
            }
            ',' if !in_quotes => record.push(std::mem::replace(&mut field, Field::empty())),
            '\n' if !in_quotes => {
                record.push(std::mem::replace(&mut field, Field::empty()));
                records.push((start, std::mem::take(&mut record)));
                line += 1;
                start = line;
            }
            '\r' if !in_quotes => {}
            c => {
                if c == '\n' {
                    line += 1;
                }
                field.text.push(c);
            }
        }
    }
    if !field.text.is_empty() || field.quoted || !record.is_empty() {
        record.push(field);
        records.push((start, record));
    }
    records
}

impl Field {
    fn empty() -> Field {
        Field {
            text: String::new(),
            quoted: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), String> {
        check_csv(Path::new("out/nmb.csv"), text).map_err(|e| e.0)
    }

    #[test]
    fn finite_numbers_and_text_pass() {
        let text = "perspective,wtp,strategy,nmb,best\nsocietal,20000,inf,-5.5e300,true\n";
        assert_eq!(check(text), Ok(()), "a strategy named `inf` is text");
        assert_eq!(check("parameter,source\np,\"NaN, really\nyes\"\n"), Ok(()));
        assert_eq!(check(""), Ok(()));
    }

    #[test]
    fn a_non_finite_number_is_an_error_naming_file_line_and_column() {
        for bad in ["NaN", "inf", "-inf"] {
            let text = format!(
                "perspective,wtp,strategy,nmb,best\nsocietal,20000,a,1,true\nsocietal,20000,b,{bad},false\n"
            );
            let e = check(&text).expect_err(bad);
            assert!(
                e.starts_with(&format!("`nmb.csv` line 3, column `nmb`: {bad};")),
                "{e}"
            );
        }
    }

    #[test]
    fn lines_are_counted_across_quoted_newlines() {
        let text = "parameter,source,value\np,\"two\nlines\",1\nq,x,NaN\n";
        let e = check(text).expect_err("NaN in a numeric column");
        assert!(e.contains("line 4, column `value`"), "{e}");
    }
}
