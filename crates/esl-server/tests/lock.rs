//! One `--data-dir` serves one process: a second `serve` (or a `state import`) on it is refused
//! while the first runs, and the directory is free again once it stops, even by SIGKILL.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn serve(dir: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ess-local"))
        .args(["serve", "--port", "0", "--clock", "virtual", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the banner's endpoint line: the server holds its lock by then. The rest of its
/// output is drained on a thread (a closed pipe would fail the server's next print).
fn wait_ready(child: &mut std::process::Child) {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("endpoint:") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("no banner");
}

#[test]
fn a_data_dir_serves_one_process_at_a_time() {
    let dir = std::env::temp_dir().join(format!("ess-local-lock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut first = serve(&dir);
    wait_ready(&mut first);
    let second = serve(&dir).wait_with_output().unwrap();
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(&format!("another ess-local is using {}", dir.display())),
        "{err}"
    );
    // state import is refused too (the file is checked first, so give it a valid one).
    let snapshot = dir.with_extension("json");
    let export = Command::new(env!("CARGO_BIN_EXE_ess-local"))
        .args(["state", "export"])
        .arg(&snapshot)
        .arg("--data-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let import = Command::new(env!("CARGO_BIN_EXE_ess-local"))
        .args(["state", "import", "--replace"])
        .arg(&snapshot)
        .arg("--data-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(import.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&import.stderr).contains("another ess-local is using"));
    // SIGKILL frees it: a restart on the same directory starts.
    first.kill().unwrap();
    first.wait().unwrap();
    let mut again = serve(&dir);
    wait_ready(&mut again);
    again.kill().unwrap();
    again.wait().unwrap();
    let _ = std::fs::remove_file(&snapshot);
    std::fs::remove_dir_all(&dir).unwrap();
}
