//! Result directories: where they go by default, whether one may be replaced, and writing
//! one atomically (a temporary directory renamed into place when every file is complete).

use std::fs;
use std::path::{Path, PathBuf};

use crate::model::Model;

use super::{OutputError, sha256_hex, write_file};

/// Where results go by default: `outputs/<scenario name>/`.
pub fn default_dir(model: &Model) -> PathBuf {
    Path::new("outputs").join(&model.name)
}

/// Fail early when the result directory exists and may not be replaced.
pub fn check_target(dir: &Path, force: bool) -> Result<(), OutputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError(format!(
            "`{}` exists and is not a directory; expected a result directory (choose another --out)",
            dir.display()
        )));
    }
    if dir.exists() && !force {
        return Err(OutputError(format!(
            "the result directory `{}` already exists; use --force to replace it or --out to choose another",
            dir.display()
        )));
    }
    Ok(())
}

/// Write files into a fresh temporary directory and move it to `dir` when all succeeded.
///
/// `write` receives the temporary directory; `run.json` is then added with the SHA-256
/// of every file.
pub fn write_atomically(
    dir: &Path,
    force: bool,
    run_json: serde_json::Value,
    write: impl FnOnce(&Path) -> Result<serde_json::Map<String, serde_json::Value>, OutputError>,
) -> Result<(), OutputError> {
    check_target(dir, force)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .map_err(|e| OutputError(format!("cannot create `{}`: {e}", parent.display())))?;
    let base = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let tmp = parent.join(format!(".{base}.tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir(&tmp)
        .map_err(|e| OutputError(format!("cannot create `{}`: {e}", tmp.display())))?;
    let result = (|| {
        let extra = write(&tmp)?;
        let mut files = serde_json::Map::new();
        let mut names: Vec<String> = fs::read_dir(&tmp)
            .map_err(|e| OutputError(format!("cannot list `{}`: {e}", tmp.display())))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        names.sort();
        for name in names {
            let bytes = fs::read(tmp.join(&name))
                .map_err(|e| OutputError(format!("cannot read back `{name}`: {e}")))?;
            files.insert(name, serde_json::Value::String(sha256_hex(&bytes)));
        }
        let mut json = run_json;
        if let Some(obj) = json.as_object_mut() {
            obj.extend(extra);
            obj.insert("files".into(), serde_json::Value::Object(files));
        }
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| OutputError(format!("cannot encode run.json: {e}")))?;
        write_file(&tmp.join("run.json"), &(text + "\n"))
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        let old = parent.join(format!(".{base}.old-{}", std::process::id()));
        fs::rename(dir, &old).map_err(|e| {
            OutputError(format!(
                "cannot move the old `{}` aside: {e}",
                dir.display()
            ))
        })?;
        if let Err(e) = fs::rename(&tmp, dir) {
            let _ = fs::rename(&old, dir);
            let _ = fs::remove_dir_all(&tmp);
            return Err(OutputError(format!(
                "cannot move results into `{}`: {e}",
                dir.display()
            )));
        }
        let _ = fs::remove_dir_all(&old);
    } else if let Err(e) = fs::rename(&tmp, dir) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(OutputError(format!(
            "cannot move results into `{}`: {e}",
            dir.display()
        )));
    }
    Ok(())
}
