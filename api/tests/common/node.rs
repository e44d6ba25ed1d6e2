//! Node.js test suites: npm packages installed with `npm ci` from a
//! package.json and lock under `tests/`, and `node --test` runs whose report
//! must show tests that ran, none skipped and all passed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The npm packages of `tests/{suite}`, installed with `npm ci` into
/// `target/{target}` when its package.json or lock changed; the
/// `node_modules` dir.
pub fn packages(suite: &str, target: &str) -> PathBuf {
    // One install at a time: the tests in a binary run in parallel.
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = INSTALLING.lock().unwrap_or_else(|p| p.into_inner());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = manifest.join("tests").join(suite);
    let dir = manifest.join("../target").join(target);
    let files = ["package.json", "package-lock.json"];
    let wanted: String = files
        .iter()
        .map(|f| std::fs::read_to_string(source.join(f)).unwrap())
        .collect();
    let stamp = dir.join("packages.installed");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        std::fs::create_dir_all(&dir).unwrap();
        for f in files {
            std::fs::copy(source.join(f), dir.join(f)).unwrap();
        }
        // The packages' install scripts are not needed (none builds anything on a
        // current Node, and playwright-core downloads no browser).
        let output = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .expect("npm is needed for the Node.js test suites");
        assert!(
            output.status.success(),
            "npm ci in {} failed:\n{}{}",
            dir.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(&stamp, wanted).unwrap();
    }
    dir.join("node_modules")
}

/// Runs `node --test tests/{suite}/{file}` with `env`, printing its report,
/// and fails unless tests ran, none was skipped and all passed.
pub fn run(suite: &str, file: &str, env: &[(&str, OsString)]) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new("node");
    command
        .arg("--test")
        .arg(manifest.join("tests").join(suite).join(file))
        .current_dir(manifest);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("node is needed for this suite");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(output.status.success(), "{file} failed:\n{report}");
    let count = |label: &str| -> Option<u64> {
        report
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("# {label} ")))
            .and_then(|n| n.trim().parse().ok())
    };
    assert!(
        count("pass").unwrap_or(0) > 0,
        "{file} ran no tests:\n{report}"
    );
    assert_eq!(count("fail"), Some(0), "{file}:\n{report}");
    assert_eq!(count("skipped"), Some(0), "{file} skipped tests:\n{report}");
}
