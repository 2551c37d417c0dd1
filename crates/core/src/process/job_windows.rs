//! Windows: a job object per function instead of a process group. The
//! process is created suspended, put in a fresh job with
//! `KILL_ON_JOB_CLOSE`, then resumed, so nothing it starts can escape the
//! job; "signalling the group" terminates the whole job (Windows has no
//! SIGTERM for console programs, so Term and Kill both terminate), and
//! dropping the job's registration closes the handle, which kills whatever
//! is left. Jobs are kept by leader pid for `group::kill_all`.

use std::collections::HashMap;
use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::sync::{Arc, Mutex};

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE, WAIT_FAILED};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, Thread32First, Thread32Next, TH32CS_SNAPTHREAD, THREADENTRY32,
};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation, SetInformationJobObject,
    TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};
use windows_sys::Win32::System::Threading::{
    OpenProcess, OpenThread, ResumeThread, WaitForSingleObject, CREATE_SUSPENDED, INFINITE, PROCESS_SYNCHRONIZE,
    THREAD_SUSPEND_RESUME,
};

/// Creation flag for `Process::spawn`: the job is assigned before any code runs.
pub const SPAWN_FLAGS: u32 = CREATE_SUSPENDED;

static JOBS: Mutex<Option<HashMap<u32, OwnedHandle>>> = Mutex::new(None);

fn owned(handle: HANDLE) -> io::Result<OwnedHandle> {
    if handle.is_null() || handle == INVALID_HANDLE_VALUE {
        Err(io::Error::last_os_error())
    } else {
        // SAFETY: a fresh handle returned by the OS, owned by nobody else.
        Ok(unsafe { OwnedHandle::from_raw_handle(handle as _) })
    }
}

/// Puts the (suspended) child in a new kill-on-close job, then resumes it.
pub fn adopt(child: &std::process::Child) -> io::Result<()> {
    // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
    let job = owned(unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) })?;
    // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
    let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
    info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    let job_h = job.as_raw_handle() as HANDLE;
    // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
    let ok = unsafe {
        SetInformationJobObject(
            job_h,
            JobObjectExtendedLimitInformation,
            &info as *const _ as *const _,
            std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
        )
    };
    // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
    if ok == 0 || unsafe { AssignProcessToJobObject(job_h, child.as_raw_handle() as HANDLE) } == 0 {
        return Err(io::Error::last_os_error());
    }
    JOBS.lock().unwrap().get_or_insert_with(HashMap::new).insert(child.id(), job);
    resume_threads(child.id())
}

/// std keeps the primary thread's handle to itself: find it by snapshot.
fn resume_threads(pid: u32) -> io::Result<()> {
    // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
    let snap = owned(unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0) })?;
    let snap_h = snap.as_raw_handle() as HANDLE;
    // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
    let mut entry: THREADENTRY32 = unsafe { std::mem::zeroed() };
    entry.dwSize = std::mem::size_of::<THREADENTRY32>() as u32;
    // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
    let mut more = unsafe { Thread32First(snap_h, &mut entry) } != 0;
    let mut resumed = 0;
    while more {
        if entry.th32OwnerProcessID == pid {
            // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
            let thread = unsafe { OpenThread(THREAD_SUSPEND_RESUME, 0, entry.th32ThreadID) };
            if !thread.is_null() {
                // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
                unsafe {
                    ResumeThread(thread);
                    CloseHandle(thread);
                }
                resumed += 1;
            }
        }
        // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
        more = unsafe { Thread32Next(snap_h, &mut entry) } != 0;
    }
    if resumed == 0 {
        return Err(io::Error::other("could not resume the function's process"));
    }
    Ok(())
}

/// Terminates every process in the leader's job (no-op once it is gone).
pub fn terminate(pid: u32) {
    if let Some(job) = JOBS.lock().unwrap().as_ref().and_then(|jobs| jobs.get(&pid)) {
        // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
        unsafe { TerminateJobObject(job.as_raw_handle() as HANDLE, 1) };
    }
}

/// Drops the job: closing its last handle kills anything still in it.
pub fn forget(pid: u32) {
    let job = JOBS.lock().unwrap().as_mut().and_then(|jobs| jobs.remove(&pid));
    drop(job);
}

/// Waits for the leader to exit. The `Child` holds its process handle until
/// reaped, so the pid cannot be reused meanwhile.
pub struct ExitWaiter {
    handle: Option<Arc<OwnedHandle>>,
}

impl ExitWaiter {
    pub fn new(pid: i32) -> Self {
        // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
        let handle = owned(unsafe { OpenProcess(PROCESS_SYNCHRONIZE, 0, pid as u32) }).ok().map(Arc::new);
        ExitWaiter { handle }
    }

    pub async fn exited(&self) -> io::Result<()> {
        let Some(handle) = self.handle.clone() else {
            return Err(io::Error::other("no handle to wait on"));
        };
        tokio::task::spawn_blocking(move || {
            // SAFETY: a Win32 call with valid arguments; the handles it uses are owned here and open.
            match unsafe { WaitForSingleObject(handle.as_raw_handle() as HANDLE, INFINITE) } {
                WAIT_FAILED => Err(io::Error::last_os_error()),
                _ => Ok(()),
            }
        })
        .await
        .map_err(io::Error::other)?
    }

    /// The job object already ends the whole tree, leader included.
    pub fn signal_leader(&self, _sig: super::group::Signal) {}
}
