//! `ess-local state export FILE` and `ess-local state import FILE`: a whole store to and from one
//! JSON file in the versioned format of docs/state-format.md (see `esl_store::snapshot`).
//!
//! Both take the store options of `serve` (`--data-dir DIR` or `--database-url URL`); the default
//! in-memory store lives only inside a running server, so there is nothing to export from or import
//! into. Export reads in one transaction, so it is consistent even while a server uses the store.
//! Import writes in one transaction, into a store no server is using (a running server keeps the
//! virtual clock and its id sequence in memory and would not see the import).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use esl_store::snapshot::{self, Counts};
use esl_store::{SqliteBackend, Store};

use crate::{open_store, Config};

/// Where the state lives: the store options of `serve`.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

fn open(opts: &StoreOptions, verb: &str, must_exist: bool) -> anyhow::Result<Store> {
    match (&opts.data_dir, &opts.database_url) {
        (None, None) => anyhow::bail!(
            "state {verb} needs a store that outlives a server: give --data-dir DIR or --database-url URL \
             (the default in-memory store exists only inside a running `ess-local serve`; start it with \
             --data-dir to keep state you want to export)"
        ),
        (Some(dir), None) if must_exist && !dir.join(SqliteBackend::FILE_NAME).is_file() => {
            anyhow::bail!(
                "no ess-local store in {} (no {} there)",
                dir.display(),
                SqliteBackend::FILE_NAME
            )
        }
        _ => open_store(&Config {
            data_dir: opts.data_dir.clone(),
            database_url: opts.database_url.clone(),
            ..Config::default()
        }),
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Writes the store's whole state to `file` (`-`: standard output). The file is written beside
/// its final name and renamed into place, so a failed export never leaves half a snapshot.
/// Blocking.
pub fn export_to(opts: &StoreOptions, file: &Path) -> anyhow::Result<Counts> {
    let store = open(opts, "export", true)?;
    let snap = snapshot::export(&store, &now_rfc3339())?;
    drop(store);
    let mut text = serde_json::to_string_pretty(&snap)?;
    text.push('\n');
    if file == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
    } else {
        let name = file
            .file_name()
            .ok_or_else(|| anyhow::anyhow!("{}: not a file name", file.display()))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.tmp", std::process::id()));
        let tmp = file.with_file_name(tmp_name);
        let written = (|| -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, file)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            anyhow::bail!("writing {}: {e}", file.display());
        }
    }
    Ok(snap.counts())
}

/// Reads a snapshot from `file` (`-`: standard input) into the store, in one transaction: into an
/// empty store, or with `replace` after removing everything it holds. Blocking.
pub fn import_from(opts: &StoreOptions, file: &Path, replace: bool) -> anyhow::Result<Counts> {
    let text = if file == Path::new("-") {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?
    };
    // The file is checked before the store is opened: a bad or too new snapshot changes nothing.
    let snap = snapshot::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    // A server on the same data directory keeps its clock and ids in memory: refuse while one runs.
    let _lock = match &opts.data_dir {
        Some(dir) => Some(crate::lock_data_dir(dir)?),
        None => None,
    };
    let store = open(opts, "import", false)?;
    Ok(snapshot::import(&store, &snap, replace)?)
}

/// "12 resources, 3 IP allocations, 2 pending jobs"
pub fn describe(c: &Counts) -> String {
    format!(
        "{} resources, {} IP allocations, {} pending jobs",
        c.resources, c.ip_allocations, c.jobs
    )
}
