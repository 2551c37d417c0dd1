#![cfg(target_os = "linux")]
//! The sandbox through `Runtime::invoke` with real processes (CONTRACT §11):
//! denied writes, the private temp dir, signal scoping, and a host that
//! stays unrestricted after spawning sandboxed calls.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use alyx_core::sandbox::{support, SandboxOption, SandboxPolicy};
use alyx_core::{InvokeOptions, Runtime, RuntimeOptions};
use serde_json::Value;

fn function(root: &Path, name: &str, body: &str) {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bootstrap");
    std::fs::write(&p, format!("#!/bin/sh\ncat >/dev/null\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn sandboxed(root: &Path) -> Option<Arc<Runtime>> {
    if !support().available {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI=true and no Landlock ABI ≥ 6: {:?}", support());
        eprintln!("!!!!! SKIPPING: no Landlock ABI ≥ 6 here ({:?}) !!!!!", support());
        return None;
    }
    let options = RuntimeOptions {
        functions_dir: root.to_path_buf(),
        sandbox: SandboxOption(Some(SandboxPolicy::default())),
        env: [("HOST_PID".to_string(), std::process::id().to_string())].into(),
        ..Default::default()
    };
    Some(Arc::new(Runtime::new(options).unwrap()))
}

async fn output(rt: &Arc<Runtime>, name: &str) -> Value {
    let r = rt.invoke(name, "null", InvokeOptions::default()).await.unwrap();
    let v: Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["success"], true, "{v}");
    v["output"].clone()
}

#[tokio::test(flavor = "current_thread")]
async fn sandboxed_call_is_confined_and_the_host_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, outside) = (tmp.path().join("functions"), tmp.path().join("outside"));
    std::fs::create_dir_all(&outside).unwrap();
    function(
        &root,
        "probe",
        &format!(
            r#"w=$( (echo x > "{out}/w") 2>&1 ); echo t > "$TMPDIR/t" && t=$(cat "$TMPDIR/t")
kill -0 "$HOST_PID" 2>/dev/null; k=$?
printf '{{"success":true,"output":{{"w":"%s","t":"%s","tmp":"%s","kill":%s}}}}\n' "$w" "$t" "$TMPDIR" "$k""#,
            out = outside.display()
        ),
    );
    let Some(rt) = sandboxed(&root) else { return };
    let out = output(&rt, "probe").await;
    assert!(out["w"].as_str().unwrap().contains("Permission denied"), "{out}");
    assert!(!outside.join("w").exists());
    assert_eq!(out["t"], "t");
    assert!(!Path::new(out["tmp"].as_str().unwrap()).exists(), "temp dir removed: {out}");
    assert_eq!(out["kill"], 1, "the host cannot be signalled");
    // This very thread drove the spawn: it must still write where it likes.
    std::fs::write(outside.join("host-wrote"), "ok").unwrap();
    assert!(outside.join("host-wrote").exists());
}
