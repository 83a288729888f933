use std::sync::Arc;

/// Where a stage reports how far it got. The binary draws it (a bar on a
/// terminal, a line every few seconds elsewhere); tests and benchmarks pass
/// [`HiddenProgress`].
pub trait Progress: Send + Sync + std::fmt::Debug {
    /// How many units the whole stage has, as far as is known now.
    fn set_length(&self, length: u64);
    /// How many units were done before this process started.
    fn set_position(&self, position: u64);
    /// `delta` more units done.
    fn inc(&self, delta: u64);
    /// `delta` more units discovered (a search slice split, more pages).
    fn inc_length(&self, delta: u64);
    /// The stage ended: the bar goes away.
    fn finish(&self);
}

/// Progress nobody sees.
#[derive(Debug, Default, Clone, Copy)]
pub struct HiddenProgress;

impl Progress for HiddenProgress {
    fn set_length(&self, _: u64) {}
    fn set_position(&self, _: u64) {}
    fn inc(&self, _: u64) {}
    fn inc_length(&self, _: u64) {}
    fn finish(&self) {}
}

/// A shared [`HiddenProgress`].
pub fn hidden() -> Arc<dyn Progress> {
    Arc::new(HiddenProgress)
}
