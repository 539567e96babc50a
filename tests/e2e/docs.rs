//! The docs tell the truth: every repository path that ARCHITECTURE.md or README.md names exists.

use crate::common::root;

#[test]
fn paths_named_in_the_docs_exist() {
    let prefixes = ["core/", "sim-cli/", "tests/", "scenarios/", "plugins/", ".ci/"];
    for doc in ["ARCHITECTURE.md", "README.md"] {
        let text = std::fs::read_to_string(root().join(doc)).expect("doc exists");
        let named: Vec<&str> = text
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| prefixes.iter().any(|p| t.starts_with(p)) && !t.contains(' ') && !t.contains('<'))
            .collect();
        assert!(!named.is_empty(), "{doc} names no paths?");
        for path in named {
            assert!(root().join(path).exists(), "{doc} names `{path}`, which does not exist");
        }
    }
}

/// The README's quick start runs `cargo run --release -- run <scenario>`: `cargo run` at the
/// workspace root must pick the `xinzhi` binary unambiguously (checked in the test profile, with
/// `validate` so that nothing is written).
#[test]
fn cargo_run_at_the_root_runs_xinzhi() {
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["run", "--quiet", "--target-dir"])
        .arg(crate::common::nested_target())
        .args(["--", "validate", "scenarios/machining-line.toml"])
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
}

/// Issue 9, defect 7: `docs/plugins.md` and `xinzhi plugins` described `fifo` differently.
/// Every component line the docs quote from the listing is what the listing prints.
#[test]
fn defect_7_docs_quote_the_plugin_listing_verbatim() {
    let listing = crate::common::xinzhi(&["plugins"]);
    assert!(listing.status.success());
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    let docs = std::fs::read_to_string(root().join("docs/plugins.md")).expect("docs/plugins.md");
    let quoted: Vec<&str> = docs
        .lines()
        .filter(|l| {
            ["  scheduler  ", "  predictor  ", "  collector  ", "  signal     "]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .collect();
    assert!(!quoted.is_empty(), "docs/plugins.md quotes no listing line?");
    for line in quoted {
        assert!(
            listing.lines().any(|l| l == line),
            "docs/plugins.md quotes `{line}`, which `xinzhi plugins` does not print"
        );
    }
}
