//! Running a helper command to completion (a build step, `go build`, a
//! `--version` probe) with the same group, timeout and kill rules as a
//! function, collecting stdout and stderr together in arrival order.

use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::{Exit, Process, Spec};

/// Combined output kept per command: the tail, which holds the errors.
const OUTPUT_CAP: usize = 64 * 1024;

#[derive(Debug)]
pub struct Completed {
    pub exit: Exit,
    pub output: String,
    pub timed_out: bool,
}

impl Completed {
    pub fn success(&self) -> bool {
        self.exit == Exit::Code(0) && !self.timed_out
    }
}

pub async fn run(spec: &Spec<'_>, timeout: Duration, grace: Duration) -> std::io::Result<Completed> {
    let mut process = Process::spawn(spec)?;
    drop(process.stdin.take());
    let output = Mutex::new(Vec::new());
    let stdout = process.stdout.take().expect("piped");
    let stderr = process.stderr.take().expect("piped");
    let drain = async { tokio::join!(collect(stdout, &output), collect(stderr, &output)) };
    tokio::pin!(drain);
    let mut drained = false;
    let waited = tokio::time::timeout(timeout, async {
        tokio::select! {
            _ = process.exited() => {}
            _ = &mut drain => {
                drained = true;
                let _ = process.exited().await;
            }
        }
    })
    .await;
    let timed_out = waited.is_err();
    if timed_out {
        process.terminate(grace).await;
    }
    // Reaping kills what is left of the group (a daemon a build started),
    // so the pipes close; a descendant that left the group gets 1 s.
    let exit = process.reap()?;
    if !drained {
        let _ = tokio::time::timeout(Duration::from_secs(1), &mut drain).await;
    }
    let bytes = std::mem::take(&mut *output.lock().unwrap());
    Ok(Completed { exit, output: String::from_utf8_lossy(&bytes).into_owned(), timed_out })
}

async fn collect<R: AsyncRead + Unpin>(mut reader: R, into: &Mutex<Vec<u8>>) {
    let mut chunk = vec![0u8; 16 * 1024];
    while let Ok(n) = reader.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        let mut out = into.lock().unwrap();
        out.extend_from_slice(&chunk[..n]);
        if out.len() > OUTPUT_CAP * 2 {
            let cut = out.len() - OUTPUT_CAP;
            out.drain(..cut);
        }
    }
}
