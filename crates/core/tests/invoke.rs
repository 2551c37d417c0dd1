#![cfg(unix)]
//! Real processes through `Runtime::invoke`: sh, python3 and node functions
//! written into a temporary functions directory.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alyx_core::{InvokeOptions, InvokeResult, Runtime, RuntimeOptions};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// An executable `bootstrap` shell script: a binary function.
    fn sh(&self, name: &str, body: &str) -> PathBuf {
        self.file(name, "bootstrap", &format!("#!/bin/sh\n{body}\n"), true)
    }

    fn file(&self, name: &str, file: &str, text: &str, exec: bool) -> PathBuf {
        let dir = self.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(file);
        std::fs::write(&p, text).unwrap();
        if exec {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        p
    }

    fn runtime(&self, tweak: impl FnOnce(&mut RuntimeOptions)) -> Arc<Runtime> {
        let mut o = RuntimeOptions { functions_dir: self.path().to_path_buf(), ..Default::default() };
        tweak(&mut o);
        Arc::new(Runtime::new(o).unwrap())
    }
}

async fn invoke(rt: &Arc<Runtime>, name: &str, input: &str) -> InvokeResult {
    rt.invoke(name, input, InvokeOptions::default()).await.unwrap()
}

fn json(r: &InvokeResult) -> Value {
    serde_json::from_str(&r.to_json()).unwrap()
}

fn alive(pid: i32) -> bool {
    // A zombie still has a /proc entry; only count running processes.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.split(") ").nth(1).unwrap_or("").starts_with('Z'))
        .unwrap_or(false)
}

#[tokio::test]
async fn python_hello_round_trips_input_and_context() {
    let fx = Fixture::new();
    fx.file(
        "hello",
        "main.py",
        r#"import json, sys, os
req = json.load(sys.stdin)
print(json.dumps({"success": True, "output": {
    "message": "Hello, " + req["input"]["name"] + "!",
    "function": req["function"], "fname": req["function_name"], "rid": req["request_id"],
    "ctx_env": req["context"]["env"], "deadline": req["context"]["deadline_ms"],
    "token_len": len(req["context"]["internal_token"]), "cwd": os.getcwd(),
    "env_name": os.environ.get("ALYX_FUNCTION_NAME"), "unbuf": os.environ.get("PYTHONUNBUFFERED"),
    "auth": os.environ.get("ALYX_AUTH")}}))
"#,
        false,
    );
    let rt = fx.runtime(|o| o.env.insert("OPT".into(), "o".into()).map(|_| ()).unwrap_or(()));
    let opts = InvokeOptions {
        request_id: Some("req-1".into()),
        env: [("CALL".to_string(), "c".to_string())].into(),
        auth: Some(serde_json::json!({"id": "u1"})),
        ..Default::default()
    };
    let r = rt.invoke("hello", r#"{"name":"World"}"#, opts).await.unwrap();
    let v = json(&r);
    assert_eq!(v["success"], true, "{v}");
    let out = &v["output"];
    assert_eq!(out["message"], "Hello, World!");
    assert_eq!(out["function"], "hello");
    assert_eq!(out["fname"], "hello");
    assert_eq!(out["rid"], "req-1");
    assert_eq!(v["requestId"], "req-1");
    assert_eq!(out["ctx_env"], serde_json::json!({"CALL": "c"}), "options.env stays out of context.env");
    assert_eq!(out["token_len"], 64);
    assert_eq!(out["env_name"], "hello");
    assert_eq!(out["unbuf"], "1");
    assert_eq!(out["auth"], r#"{"id":"u1"}"#);
    assert_eq!(
        Path::new(out["cwd"].as_str().unwrap()).canonicalize().unwrap(),
        fx.path().join("hello").canonicalize().unwrap()
    );
    assert_eq!(v["exitCode"], 0);
    assert!(v.get("signal").is_none());
}

#[tokio::test]
async fn env_is_cleared_to_the_allowlist_plus_layers() {
    std::env::set_var("ALYX_TEST_SECRET_VAR", "leak");
    let fx = Fixture::new();
    fx.sh("envdump", r#"cat >/dev/null; printf '{"success":true,"output":{"secret":"%s","opt":"%s","call":"%s","path":"%s"}}' "$ALYX_TEST_SECRET_VAR" "$OPT" "$CALL" "$PATH""#);
    let rt = fx.runtime(|o| {
        o.env.insert("OPT".into(), "o".into());
    });
    let opts = InvokeOptions { env: [("CALL".to_string(), "c".to_string())].into(), ..Default::default() };
    let v = json(&rt.invoke("envdump", "null", opts).await.unwrap());
    assert_eq!(v["output"]["secret"], "", "host variables outside the allowlist must not leak");
    assert_eq!(v["output"]["opt"], "o");
    assert_eq!(v["output"]["call"], "c");
    assert_eq!(v["output"]["path"], std::env::var("PATH").unwrap());
}

#[tokio::test]
async fn node_function_runs() {
    let fx = Fixture::new();
    fx.file(
        "nodefn",
        "index.js",
        r#"let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.error("from node");process.stdout.write(JSON.stringify({success:true,output:r.input*2}))})"#,
        false,
    );
    let rt = fx.runtime(|_| {});
    let v = json(&invoke(&rt, "nodefn", "21").await);
    assert_eq!(v["output"], 42, "{v}");
    assert_eq!(v["logs"][0]["message"], "from node");
    assert_eq!(v["logs"][0]["source"], "stderr");
}

#[tokio::test]
async fn function_error_code_is_passed_through_with_exit_code() {
    let fx = Fixture::new();
    fx.sh("bad", r#"echo '{"success":false,"error":{"code":"VALIDATION_ERROR","message":"name required","details":{"field":"name"}}}'; exit 3"#);
    let rt = fx.runtime(|_| {});
    let v = json(&invoke(&rt, "bad", "{}").await);
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(v["error"]["details"]["field"], "name");
    assert_eq!(v["exitCode"], 3);
    assert!(v.get("output").is_none());
}

#[tokio::test]
async fn exit_error_invalid_output_and_stdout_logs() {
    let fx = Fixture::new();
    fx.sh("crash", "echo 'something broke' >&2; exit 7");
    fx.sh("garbage", "echo 'not json'");
    fx.sh("ok_true_nonzero", r#"echo '{"success":true,"output":1}'; exit 2"#);
    fx.sh("chatty", r#"echo 'line one'; echo 'line two'; echo '{"success":true,"output":"done","logs":[{"level":"warn","message":"from response"}]}'; echo '{"level":"error","message":"structured","data":{"k":1}}' >&2"#);
    let rt = fx.runtime(|_| {});

    let v = json(&invoke(&rt, "crash", "null").await);
    assert_eq!(v["error"]["code"], "EXIT_ERROR");
    assert_eq!(v["error"]["details"]["exitCode"], 7);
    assert!(v["error"]["details"]["stderr"].as_str().unwrap().contains("something broke"));
    assert!(v["error"]["message"].as_str().unwrap().contains("something broke"));

    let v = json(&invoke(&rt, "garbage", "null").await);
    assert_eq!(v["error"]["code"], "INVALID_OUTPUT");
    assert!(v["error"]["details"]["stdout"].as_str().unwrap().contains("not json"));
    assert_eq!(v["exitCode"], 0);

    let v = json(&invoke(&rt, "ok_true_nonzero", "null").await);
    assert_eq!(v["error"]["code"], "EXIT_ERROR");

    let v = json(&invoke(&rt, "chatty", "null").await);
    assert_eq!(v["output"], "done");
    let logs: Vec<(String, String, String)> = v["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().into(),
                l["level"].as_str().unwrap().into(),
                l["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("response", "warn", "from response"),
        ("stdout", "info", "line one"),
        ("stdout", "info", "line two"),
        ("stderr", "error", "structured"),
    ];
    assert_eq!(logs.len(), want.len(), "{logs:?}");
    for (got, want) in logs.iter().zip(want) {
        assert_eq!((got.0.as_str(), got.1.as_str(), got.2.as_str()), want);
    }
    assert_eq!(v["logs"][3]["data"]["k"], 1);
}

#[tokio::test]
async fn timeout_kills_the_whole_group_including_grandchildren() {
    let fx = Fixture::new();
    let pidfile = fx.path().join("grandchild.pid");
    fx.sh("hang", &format!("sleep 300 & echo $! > {}; trap '' TERM; sleep 300", pidfile.display()));
    let rt = fx.runtime(|o| o.kill_grace_ms = 200);
    let opts = InvokeOptions { timeout_ms: Some(300), ..Default::default() };
    let t = Instant::now();
    let r = rt.invoke("hang", "null", opts).await.unwrap();
    let v = json(&r);
    assert_eq!(v["error"]["code"], "TIMEOUT", "{v}");
    assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
    assert!(v["exitCode"].is_null());
    assert_eq!(v["signal"], "SIGKILL", "the leader ignored SIGTERM, so SIGKILL after the grace");
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(!alive(pid), "grandchild {pid} survived the timeout");
}

#[tokio::test]
async fn leftover_grandchild_holding_stdout_does_not_stall() {
    let fx = Fixture::new();
    let pidfile = fx.path().join("gc.pid");
    fx.sh("daemon", &format!("sleep 300 & echo $! > {}; echo '{{\"success\":true,\"output\":1}}'", pidfile.display()));
    let rt = fx.runtime(|_| {});
    let t = Instant::now();
    let v = json(&invoke(&rt, "daemon", "null").await);
    assert_eq!(v["output"], 1, "{v}");
    assert!(t.elapsed() < Duration::from_secs(3), "took {:?}", t.elapsed());
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(!alive(pid), "grandchild {pid} outlived its function");
}

#[tokio::test]
async fn output_cap_and_signal_death() {
    let fx = Fixture::new();
    fx.sh("flood", "yes aaaaaaaaaaaaaaaa");
    fx.sh("suicide", "kill -9 $$");
    let rt = fx.runtime(|o| o.max_output_bytes = 100_000);
    let v = json(&invoke(&rt, "flood", "null").await);
    assert_eq!(v["error"]["code"], "OUTPUT_TOO_LARGE", "{v}");
    let v = json(&invoke(&rt, "suicide", "null").await);
    assert_eq!(v["error"]["code"], "KILLED", "{v}");
    assert_eq!(v["signal"], "SIGKILL");
    assert!(v["exitCode"].is_null());
}

#[tokio::test]
async fn lookup_failures() {
    let fx = Fixture::new();
    fx.file("noentry", "README.md", "", false);
    fx.file("badinterp", "bootstrap", "#!/nonexistent/interpreter\n", true);
    fx.file("custom", "index.cob", "", false);
    let rt = fx.runtime(|o| {
        o.runtimes =
            serde_json::from_str(r#"{"cobol": {"command": "no-such-cobol-xyz", "extensions": [".cob"]}}"#).unwrap();
    });
    for (name, code) in [
        ("missing", "FUNCTION_NOT_FOUND"),
        ("noentry", "FUNCTION_NOT_FOUND"),
        ("../etc", "INVALID_FUNCTION_NAME"),
        ("a/b", "INVALID_FUNCTION_NAME"),
        ("", "INVALID_FUNCTION_NAME"),
        ("badinterp", "SPAWN_FAILED"),
        ("custom", "RUNTIME_NOT_FOUND"),
    ] {
        let v = json(&invoke(&rt, name, "null").await);
        assert_eq!(v["error"]["code"], code, "{name}: {v}");
        assert!(v["exitCode"].is_null());
    }
    let v = json(&invoke(&rt, "custom", "null").await);
    assert!(v["error"]["message"].as_str().unwrap().contains("no-such-cobol-xyz"));
    let v = json(&invoke(&rt, "missing", "{not json").await);
    assert_eq!(v["error"]["code"], "INVALID_INPUT");
}

#[tokio::test]
async fn big_input_to_a_function_that_never_reads_stdin() {
    let fx = Fixture::new();
    fx.sh("noread", r#"echo '{"success":true,"output":"ignored"}'"#);
    fx.sh("echo", r#"exec python3 -c 'import sys,json; r=json.load(sys.stdin); sys.stdout.write(json.dumps({"success":True,"output":len(r["input"])}))'"#);
    let rt = fx.runtime(|_| {});
    let big = serde_json::to_string(&"x".repeat(8 * 1024 * 1024)).unwrap();
    let v = json(&invoke(&rt, "noread", &big).await);
    assert_eq!(v["output"], "ignored", "{}", v["error"]);
    let v = json(&invoke(&rt, "echo", &big).await);
    assert_eq!(v["output"], 8 * 1024 * 1024);
}

#[tokio::test]
async fn cancel_stops_a_running_function_and_a_cancelled_one_never_starts() {
    let fx = Fixture::new();
    let marker = fx.path().join("started");
    fx.sh("slow", &format!("touch {}; sleep 300", marker.display()));
    let rt = fx.runtime(|_| {});
    let cancel = CancellationToken::new();
    cancel.cancel();
    let opts = InvokeOptions { cancel: Some(cancel), ..Default::default() };
    let v = json(&rt.invoke("slow", "null", opts).await.unwrap());
    assert_eq!(v["error"]["code"], "CANCELLED");
    assert!(!marker.exists(), "an already-cancelled invocation must not spawn");

    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c2.cancel();
    });
    let opts = InvokeOptions { cancel: Some(cancel), ..Default::default() };
    let t = Instant::now();
    let v = json(&rt.invoke("slow", "null", opts).await.unwrap());
    assert_eq!(v["error"]["code"], "CANCELLED");
    assert_eq!(v["signal"], "SIGTERM");
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn max_concurrency_queues_and_close_cancels() {
    let fx = Fixture::new();
    let log = fx.path().join("log");
    fx.sh("one", &format!("echo start >> {0}; sleep 0.2; echo end >> {0}; echo '{{\"success\":true}}'", log.display()));
    let rt = fx.runtime(|o| o.max_concurrency = 1);
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let rt = rt.clone();
        tasks.push(tokio::spawn(async move { json(&invoke(&rt, "one", "null").await) }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap()["success"], true);
    }
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines, "start\nend\n".repeat(3), "runs must not overlap");

    fx.sh("forever", "sleep 300");
    let rt2 = rt.clone();
    let running = tokio::spawn(async move { json(&invoke(&rt2, "forever", "null").await) });
    tokio::time::sleep(Duration::from_millis(200)).await;
    rt.close().await;
    assert_eq!(running.await.unwrap()["error"]["code"], "CANCELLED");
    assert!(rt.invoke("one", "null", InvokeOptions::default()).await.is_err(), "invoke after close is an error");
}

#[tokio::test]
async fn token_is_valid_only_while_running_and_never_logged() {
    let fx = Fixture::new();
    let tokfile = fx.path().join("token.txt");
    fx.sh("tok", &format!("echo \"$ALYX_INTERNAL_TOKEN\" > {0}.tmp; mv {0}.tmp {0}; echo \"my token is $ALYX_INTERNAL_TOKEN\" >&2; sleep 1; echo '{{\"success\":true}}'", tokfile.display()));
    let rt = fx.runtime(|_| {});
    let rt2 = rt.clone();
    let task = tokio::spawn(async move { json(&invoke(&rt2, "tok", "null").await) });
    let mut token = String::new();
    for _ in 0..100 {
        if let Ok(t) = std::fs::read_to_string(&tokfile) {
            token = t.trim().to_string();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(token.len(), 64, "{}", task.await.unwrap());
    assert!(rt.verify_token(&token));
    let v = task.await.unwrap();
    assert!(!rt.verify_token(&token));
    let text = v.to_string();
    assert!(!text.contains(&token), "token leaked into the result");
    assert!(text.contains("[redacted]"), "{text}");
}

#[tokio::test]
async fn no_zombies_after_many_invocations() {
    let fx = Fixture::new();
    fx.sh("quick", r#"echo '{"success":true,"output":1}'"#);
    let rt = fx.runtime(|_| {});
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let rt = rt.clone();
            tokio::spawn(async move { json(&invoke(&rt, "quick", "null").await) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap()["output"], 1);
    }
    let me = std::process::id().to_string();
    let zombies = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter(|s| {
            let rest: Vec<&str> = s.rsplit(") ").next().unwrap_or("").split(' ').collect();
            rest.first() == Some(&"Z") && rest.get(1) == Some(&me.as_str())
        })
        .count();
    assert_eq!(zombies, 0);
}

#[tokio::test]
async fn memory_limit_kills_a_function_that_allocates_past_it() {
    let fx = Fixture::new();
    fx.file(
        "hog",
        "main.py",
        "import time\nchunks = []\nfor _ in range(64):\n    chunks.append(b'x' * (16 * 1024 * 1024))\n    time.sleep(0.01)\nprint('{\"success\": true}')\n",
        false,
    );
    fx.file("hog", "manifest.yaml", "name: hog\nmemory: 128mb\n", false);
    fx.file(
        "small",
        "main.py",
        "import json,sys; json.load(sys.stdin); print('{\"success\": true, \"output\": 1}')\n",
        false,
    );
    fx.file("small", "manifest.yaml", "name: small\nmemory: 128mb\n", false);
    let rt = fx.runtime(|_| {});
    let t = Instant::now();
    let v = json(&invoke(&rt, "hog", "null").await);
    assert_eq!(v["error"]["code"], "MEMORY_LIMIT_EXCEEDED", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("128 MB"), "{v}");
    assert!(t.elapsed() < Duration::from_secs(10));
    let v = json(&invoke(&rt, "small", "null").await);
    assert_eq!(v["output"], 1, "a function under its limit is unaffected: {v}");
}

#[tokio::test]
async fn finished_invocations_leave_no_tasks_behind() {
    let fx = Fixture::new();
    fx.sh("quick", r#"echo '{"success":true}'"#);
    let rt = fx.runtime(|_| {});
    invoke(&rt, "quick", "null").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let baseline = metrics.num_alive_tasks();
    for _ in 0..20 {
        let opts = InvokeOptions { cancel: Some(CancellationToken::new()), ..Default::default() };
        rt.invoke("quick", "null", opts).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(metrics.num_alive_tasks(), baseline, "a task outlived its invocation");
}

/// CONTRACT §14: only stdin, stdout and stderr reach a function, even when
/// the host holds an fd opened without close-on-exec.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_host_fd_without_cloexec_does_not_reach_a_function() {
    let tmp = tempfile::tempdir().unwrap();
    let leaky = std::ffi::CString::new(tmp.path().join("leak").to_str().unwrap()).unwrap();
    // SAFETY: a plain open(2) of a path we own, without O_CLOEXEC on purpose.
    let fd = unsafe { libc::open(leaky.as_ptr(), libc::O_CREAT | libc::O_RDWR, 0o600) };
    assert!(fd > 2);
    let dir = tmp.path().join("fds");
    std::fs::create_dir(&dir).unwrap();
    let script = dir.join("bootstrap");
    let body = format!(
        "#!/bin/sh\ncat >/dev/null\nif [ -e /proc/$$/fd/{fd} ]; then r=leaked; else r=clean; fi\necho \"{{\\\"success\\\":true,\\\"output\\\":\\\"$r\\\"}}\"\n"
    );
    std::fs::write(&script, body).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rt = Arc::new(Runtime::new(RuntimeOptions { functions_dir: tmp.path().into(), ..Default::default() }).unwrap());
    let res = invoke(&rt, "fds", "null").await;
    // SAFETY: closes the fd opened above.
    unsafe { libc::close(fd) };
    assert_eq!(json(&res)["output"], "clean", "{}", res.to_json());
}
