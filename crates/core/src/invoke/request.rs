//! The request bytes of one call (CONTRACT §4.1) and how they reach the
//! function's stdin, one-shot and warm alike (`launch.rs`, warm/turn.rs).

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::input::JsonInput;

/// The request as written to stdin: `head`, the input JSON, `tail`; one
/// line (CONTRACT §4.1; a worker reads it as one, docs/PROTOCOL.md).
pub(crate) struct RequestParts {
    pub head: Vec<u8>,
    pub input: JsonInput,
    pub tail: Vec<u8>,
}

/// A request up to this size is copied into one buffer and written at once.
const ONE_WRITE_BYTES: usize = 64 * 1024;

impl RequestParts {
    /// Writes the request to `pipe`: a usual one in one write (the function
    /// wakes up once), a large one in three, its input never copied.
    pub async fn write_to(&self, pipe: &mut (impl AsyncWrite + Unpin)) -> std::io::Result<()> {
        let parts = [self.head.as_slice(), self.input.as_bytes(), self.tail.as_slice()];
        if parts.iter().map(|p| p.len()).sum::<usize>() <= ONE_WRITE_BYTES {
            pipe.write_all(&parts.concat()).await?;
        } else {
            for part in parts {
                pipe.write_all(part).await?;
            }
        }
        pipe.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn small_and_large_requests_arrive_whole_and_in_order() {
        for len in [10, 200_000] {
            let input = format!("\"{}\"", "x".repeat(len));
            let parts =
                RequestParts { head: b"{\"input\":".to_vec(), input: JsonInput::of(&input), tail: b"}\n".to_vec() };
            let mut pipe = Vec::new();
            parts.write_to(&mut pipe).await.unwrap();
            assert_eq!(pipe, format!("{{\"input\":{input}}}\n").into_bytes());
        }
    }
}
