use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use tokio::io::AsyncRead;
use tokio::sync::OwnedSemaphorePermit;

use http_body_util::BodyExt as _;

use crate::error::{error_chain, reqwest_error_chain, GithubError};
use crate::stats::StatsCell;
use crate::transport::ApiBody;

/// A repository archive (`.tar.gz`) as it arrives: never buffered whole.
/// Holds one archive-download slot until dropped. A download cut off
/// mid-stream ends in a `Network` error item, so the caller can discard what
/// it read and ask again.
pub struct TarballStream {
    inner: BoxStream<'static, Result<Bytes, GithubError>>,
    content_length: Option<u64>,
    _slot: OwnedSemaphorePermit,
}

impl std::fmt::Debug for TarballStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TarballStream")
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

impl TarballStream {
    /// An archive the download host sends (reqwest).
    pub(crate) fn from_download(
        response: reqwest::Response,
        slot: OwnedSemaphorePermit,
        stats: Arc<StatsCell>,
        what: String,
    ) -> Self {
        let content_length = response.content_length();
        let chunks = response
            .bytes_stream()
            .map_err(|e| reqwest_error_chain(&e))
            .boxed();
        TarballStream::new(chunks, content_length, slot, stats, what)
    }

    /// An archive the API host sends itself, without a redirect (octocrab).
    pub(crate) fn from_api(
        response: http::Response<ApiBody>,
        slot: OwnedSemaphorePermit,
        stats: Arc<StatsCell>,
        what: String,
    ) -> Self {
        let content_length = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let chunks = response
            .into_body()
            .into_data_stream()
            .map_err(|e| error_chain(&e))
            .boxed();
        TarballStream::new(chunks, content_length, slot, stats, what)
    }

    fn new(
        chunks: BoxStream<'static, Result<Bytes, String>>,
        content_length: Option<u64>,
        slot: OwnedSemaphorePermit,
        stats: Arc<StatsCell>,
        what: String,
    ) -> Self {
        let inner = chunks
            .map(move |item| match item {
                Ok(chunk) => {
                    stats.bytes("archive", chunk.len() as u64);
                    Ok(chunk)
                }
                Err(detail) => Err(GithubError::Network {
                    what: what.clone(),
                    detail: format!("the download was cut off: {detail}"),
                    attempts: 1,
                }),
            })
            .boxed();
        TarballStream {
            inner,
            content_length,
            _slot: slot,
        }
    }

    /// The size the server announced, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The archive as an `AsyncRead` (for a gzip decoder); errors become
    /// `io::Error`s carrying the `GithubError` message.
    pub fn into_async_read(self) -> impl AsyncRead + Send + Unpin {
        tokio_util::io::StreamReader::new(self.map_err(std::io::Error::other))
    }
}

impl Stream for TarballStream {
    type Item = Result<Bytes, GithubError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}
