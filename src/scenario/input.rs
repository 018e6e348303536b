//! Reading an input file (a scenario, an overlay's base, a CSV table, an empirical
//! population) with bounded memory: only regular files are opened (a FIFO, a device or a
//! directory could block or never end), at most `MAX_FILE_BYTES` are read, and the text
//! must be UTF-8. A leaf: the callers word the errors as located diagnostics.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// Largest input file accepted (scenario, base scenario, table or population file), in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why an input file could not be read.
#[derive(Debug)]
pub(super) enum InputError {
    /// The file cannot be opened or read (missing, no permission, ...).
    Io(std::io::Error),
    /// The path is not a regular file; the kind names what it is ("a directory").
    NotRegular(&'static str),
    /// The file is larger than `MAX_FILE_BYTES`; the size when it is known.
    TooLarge(Option<u64>),
    /// The file is not UTF-8: the first bad byte's line and column (1-based, counted in
    /// characters) and what is wrong there.
    Utf8 {
        line: u64,
        column: u64,
        problem: String,
    },
}

impl InputError {
    /// The problem in words, naming the file as `what` ("the file", "table file `x.csv`").
    pub(super) fn describe(&self, what: &str) -> String {
        match self {
            InputError::Io(e) => format!("cannot read {what}: {e}"),
            InputError::NotRegular(kind) => {
                format!("cannot read {what}: it is {kind}; expected a regular file")
            }
            InputError::TooLarge(Some(n)) => {
                format!("{what} is {n} bytes; an input file may be at most {MAX_FILE_BYTES} bytes")
            }
            InputError::TooLarge(None) => format!(
                "{what} has more than {MAX_FILE_BYTES} bytes; an input file may be at most {MAX_FILE_BYTES} bytes"
            ),
            InputError::Utf8 { problem, .. } => format!("{what} is not valid UTF-8: {problem}"),
        }
    }

    /// Where in the file the problem is, when it is at one place (invalid UTF-8).
    pub(super) fn at(&self) -> Option<(u64, u64)> {
        match self {
            InputError::Utf8 { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("the file"))
    }
}

/// The text of an input file: a regular file of at most `MAX_FILE_BYTES`, in UTF-8.
pub(super) fn read_input(path: &Path) -> Result<String, InputError> {
    // Look before opening: opening a FIFO without a writer blocks.
    regular(&std::fs::metadata(path).map_err(InputError::Io)?)?;
    let file = File::open(path).map_err(InputError::Io)?;
    // The path may have been replaced between the look and the open.
    let meta = file.metadata().map_err(InputError::Io)?;
    regular(&meta)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(InputError::TooLarge(Some(meta.len())));
    }
    // The length is only a hint (a file may grow, `/proc` files say 0): read one byte past
    // the limit at most.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(InputError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(InputError::TooLarge(None));
    }
    utf8(bytes)
}

/// Refuse anything but a regular file (after following symbolic links).
fn regular(meta: &Metadata) -> Result<(), InputError> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(InputError::NotRegular(kind(meta)))
    }
}

/// What a path that is not a regular file is, in words.
fn kind(meta: &Metadata) -> &'static str {
    if meta.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// The bytes as text, or where the first invalid UTF-8 sequence starts.
pub(super) fn utf8(bytes: Vec<u8>) -> Result<String, InputError> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let err = e.utf8_error();
        let at = err.valid_up_to();
        // Everything before `at` is valid UTF-8, so lines and characters can be counted.
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() as u64 + 1;
        let column = before[line_start..].chars().count() as u64 + 1;
        let problem = match err.error_len() {
            Some(n) => {
                let hex: Vec<String> = bytes[at..at + n]
                    .iter()
                    .map(|b| format!("0x{b:02X}"))
                    .collect();
                format!(
                    "invalid byte {} (saved in another encoding, such as Windows-1252?); expected UTF-8 text",
                    hex.join(" ")
                )
            }
            None => "the file ends in the middle of a character; expected UTF-8 text".into(),
        };
        InputError::Utf8 {
            line,
            column,
            problem,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_located_by_line_and_character_column() {
        // "é" is two bytes but one column: the bad byte is the third character of line 2.
        let mut bytes = "a: 1\nbé".as_bytes().to_vec();
        bytes.extend_from_slice(&[0xFF, b'x']);
        match utf8(bytes) {
            Err(InputError::Utf8 {
                line,
                column,
                problem,
            }) => {
                assert_eq!((line, column), (2, 3));
                assert!(problem.contains("0xFF"), "{problem}");
            }
            other => panic!("expected a UTF-8 error, got {other:?}"),
        }
    }

    #[test]
    fn a_character_cut_at_the_end_is_located() {
        match utf8(vec![b'a', b'\n', 0xE2, 0x82]) {
            Err(InputError::Utf8 { line, column, .. }) => assert_eq!((line, column), (2, 1)),
            other => panic!("expected a UTF-8 error, got {other:?}"),
        }
    }

    #[test]
    fn valid_text_is_returned_as_is() {
        assert_eq!(utf8("ok\n".into()).expect("valid"), "ok\n");
    }
}
