//! A loader that cannot be crashed by a file (issue 10): a truncated library, a zero-length
//! file, a text file named `.so` and a library for another architecture are refused before
//! dlopen, with exit status 2 and a message naming the file, from `xinzhi plugins --load` and
//! from a scenario's `[plugins] load`; never a signal (a truncated `.so` used to be SIGBUS).

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{scenario_file, xinzhi};
use crate::plugins::{build_so, line, quoted};

/// The bad files, each with a phrase its refusal must contain.
fn bad_files(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let real = std::fs::read(build_so("slack-rule")).expect("the example plugin's .so");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("written");
        path
    };
    // Another architecture: the real library with the ELF header's e_machine (bytes 18..20,
    // little-endian) set to AArch64 (183), or to x86-64 (62) on an AArch64 host. A patched
    // header rather than a genuine foreign build: this machine has no cross toolchain. The
    // loader reads e_machine exactly as it would in a foreign build.
    let foreign: u16 = if cfg!(target_arch = "aarch64") { 62 } else { 183 };
    let mut patched = real.clone();
    patched[18..20].copy_from_slice(&foreign.to_le_bytes());
    vec![
        (write("libtruncated.so", &real[..real.len() / 2]), "the file is truncated"),
        (write("libempty.so", b""), "the file is empty (0 bytes)"),
        (write("libtext.so", b"# not a library, just text named .so\n"), "it is a text file"),
        (write("libforeign.so", &patched), "built for another architecture"),
    ]
}

/// Exit 2, not killed by a signal, no panic, a message naming `file` and saying `expected`.
fn assert_refused(o: &Output, file: &Path, expected: &str, how: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.signal(), None, "{how}: killed by a signal: {stderr}");
    assert_eq!(o.status.code(), Some(2), "{how}: {stderr}");
    assert!(!stderr.contains("panicked"), "{how}: {stderr}");
    let named = format!("cannot load plugin library {}: ", file.display());
    assert!(
        stderr.contains(&named) && stderr.contains(expected),
        "{how}: expected `{named}…{expected}` in: {stderr}"
    );
}

#[test]
fn damaged_and_foreign_libraries_are_refused_with_exit_2_never_a_signal() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (file, expected) in bad_files(dir.path()) {
        let o = xinzhi(&["plugins", "--load", file.to_str().expect("utf-8")]);
        assert_refused(&o, &file, expected, "xinzhi plugins --load");

        let (scenario_dir, scenario) =
            scenario_file("load.toml", &line(&quoted(&file), r#"{ plugin = "fifo" }"#, ""));
        let out = scenario_dir.path().join("out");
        let o = xinzhi(&[
            "run",
            scenario.to_str().expect("utf-8"),
            "--quiet",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert_refused(&o, &file, expected, "xinzhi run with [plugins] load");
        assert!(String::from_utf8_lossy(&o.stderr).contains("load.toml:13:"), "the load line is located");
        assert!(!out.join("manifest.json").exists(), "nothing runs");
    }
}
