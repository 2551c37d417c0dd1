//! Running a helper command to completion (a build step, `go build`, a
//! `--version` probe) under the same supervision as a function
//! (`invoke::supervise`), collecting stdout and stderr together in arrival
//! order.

use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Exit, Process, Spec};
use crate::invoke::supervise::{supervise, Limits, Stop};

/// Combined output kept per command: the tail, which holds the errors.
const OUTPUT_CAP: usize = 64 * 1024;

#[derive(Debug)]
pub(crate) struct Completed {
    pub exit: Exit,
    pub output: String,
    pub timed_out: bool,
    pub cancelled: bool,
}

impl Completed {
    pub fn success(&self) -> bool {
        self.exit == Exit::Code(0) && !self.timed_out && !self.cancelled
    }
}

/// Runs `spec` until it exits, `timeout` passes or `cancel` fires (then
/// SIGTERM → `grace` → SIGKILL).
pub(crate) async fn run(
    spec: &Spec<'_>,
    timeout: Duration,
    grace: Duration,
    cancel: &CancellationToken,
) -> std::io::Result<Completed> {
    let mut process = Process::spawn(spec)?;
    drop(process.stdin.take());
    let output = Mutex::new(Vec::new());
    let stdout = process.stdout.take().expect("piped");
    let stderr = process.stderr.take().expect("piped");
    let io = async {
        tokio::join!(collect(stdout, &output), collect(stderr, &output));
        Ok(())
    };
    let limits =
        Limits { deadline: Instant::now() + timeout, cancel: cancel.clone(), memory_limit: None, kill_grace: grace };
    let done = supervise(&mut process, io, &limits).await;
    let exit = done.exit?;
    let bytes = std::mem::take(&mut *output.lock().unwrap());
    Ok(Completed {
        exit,
        output: String::from_utf8_lossy(&bytes).into_owned(),
        timed_out: done.stop == Some(Stop::Timeout),
        cancelled: done.stop == Some(Stop::Cancelled),
    })
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
