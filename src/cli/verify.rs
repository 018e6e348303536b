//! `trdsim verify`: rerun a recorded run and compare every file.

use std::path::Path;

use crate::analysis::verify;

use super::{EXIT_FAILURE, EXIT_OK, fail, out};

/// Rerun a recorded run and compare its files; prints "identical" or every difference.
pub fn verify(dir: &Path) -> i32 {
    let rerun = match verify::rerun(dir) {
        Ok(r) => r,
        Err(e) => return fail(None, &e),
    };
    let mut args = rerun.args;
    let tmp = std::env::temp_dir().join(format!("trdsim-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    args.extend(["--out".into(), tmp.display().to_string()]);
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot find the trdsim executable: {e}");
            return EXIT_FAILURE;
        }
    };
    out(&format!("rerunning: trdsim {}\n", args.join(" ")));
    let status = std::process::Command::new(exe)
        .args(&args)
        .stdout(std::process::Stdio::null())
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        let _ = std::fs::remove_dir_all(&tmp);
        eprintln!("error: the rerun failed");
        return EXIT_FAILURE;
    }
    let differences = verify::compare_dirs(dir, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    if differences.is_empty() {
        out("identical\n");
        EXIT_OK
    } else {
        for d in &differences {
            out(&format!("{d}\n"));
        }
        eprintln!("error: {} file(s) differ from the rerun", differences.len());
        EXIT_FAILURE
    }
}
