//! The endpoints, one module per family: what to ask and how to read the
//! answer. How a request is sent and retried is `transport.rs`'s job.

mod contents;
mod rate_limit;
mod repos;
mod search;
mod tarball;
