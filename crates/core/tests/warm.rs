#![cfg(unix)]
//! Warm workers through `Runtime::invoke` (CONTRACT §10): a worker written
//! in sh against the protocol, and one that does not speak it.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use alyx_core::{InvokeOptions, InvokeResult, Runtime, RuntimeOptions};
use serde_json::Value;

/// Answers each request line with its pid, the end marker after it.
const SH_WORKER: &str = r#"#!/bin/sh
echo "starting" >&2
echo '{"alyx":"ready"}'
while read -r line; do
  id=$(printf '%s' "$line" | sed 's/.*"request_id":"\([^"]*\)".*/\1/')
  echo "working on $id" >&2
  echo "{\"success\":true,\"request_id\":\"$id\",\"output\":{\"pid\":$$,\"worker\":\"$ALYX_WORKER\",\"rid\":\"$ALYX_REQUEST_ID\"}}"
  echo "{\"alyx\":\"end\",\"request_id\":\"$id\"}" >&2
done
"#;

fn function(root: &std::path::Path, name: &str, script: &str, manifest: &str) {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("manifest.yaml"), format!("name: {name}\nruntime: binary\nentry: bootstrap\n{manifest}"))
        .unwrap();
    let p = dir.join("bootstrap");
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

async fn call(rt: &Arc<Runtime>, name: &str) -> (InvokeResult, Value) {
    let r = rt.invoke(name, "{}", InvokeOptions::default()).await.unwrap();
    let v: Value = serde_json::from_str(&r.to_json()).unwrap();
    (r, v)
}

fn alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s[s.rfind(')').unwrap() + 2..].starts_with('Z'))
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_worker_serves_successive_calls_and_close_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    function(dir.path(), "w", SH_WORKER, "warm:\n  min: 1\n  max: 1\n");
    let rt = Arc::new(Runtime::new(RuntimeOptions { functions_dir: dir.path().into(), ..Default::default() }).unwrap());
    let (a, va) = call(&rt, "w").await;
    assert!(a.success, "{va}");
    assert_eq!(va["exitCode"], Value::Null);
    assert_eq!(va["output"]["worker"], "1");
    assert_eq!(va["output"]["rid"], "", "per-call variables are not in a worker's env");
    let logs: Vec<&str> = va["logs"].as_array().unwrap().iter().map(|l| l["message"].as_str().unwrap()).collect();
    assert_eq!(logs, ["starting", &format!("working on {}", a.request_id)]);
    let (_, vb) = call(&rt, "w").await;
    assert_eq!(vb["output"]["pid"], va["output"]["pid"]);
    let pid = va["output"]["pid"].as_i64().unwrap();
    assert!(alive(pid));
    rt.close().await;
    assert!(!alive(pid), "close() leaves no warm process");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_without_the_protocol_is_worker_start_failed() {
    let dir = tempfile::tempdir().unwrap();
    function(dir.path(), "plain", "#!/bin/sh\necho 'no ready here' >&2\nexit 7\n", "warm: true\n");
    let rt = Arc::new(Runtime::new(RuntimeOptions { functions_dir: dir.path().into(), ..Default::default() }).unwrap());
    let (r, v) = call(&rt, "plain").await;
    assert!(!r.success);
    assert_eq!(v["error"]["code"], "WORKER_START_FAILED");
    assert!(v["error"]["message"].as_str().unwrap().contains("exited with code 7"), "{v}");
    assert!(v["error"]["details"]["stderr"].as_str().unwrap().contains("no ready here"), "{v}");
    let err = rt.warmup(Some("plain")).await.unwrap_err();
    assert_eq!(err.code, "WORKER_START_FAILED");
    rt.close().await;
}
