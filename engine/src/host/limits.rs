//! FC's `memorySize` as a wasmtime [`ResourceLimiter`] that sums every linear
//! memory of the instance (wasmtime's own limit is per memory, so a component
//! with two memories could otherwise use twice the limit; spin#3705).

use wasmtime::ResourceLimiter;

/// Caps the total bytes of all memories in one store.
#[derive(Debug)]
pub struct MemoryLimiter {
    limit_bytes: usize,
    /// Bytes currently committed across all memories of the store.
    used_bytes: usize,
    /// Highest `used_bytes` seen, for FC's `X-Fc-Max-Memory-Usage`.
    peak_bytes: usize,
    /// Set when a grow was refused, so the failure can be reported as OOM.
    pub(crate) hit_limit: bool,
    /// Table elements allowed per table: generous, but bounded.
    max_table_elements: usize,
}

impl MemoryLimiter {
    pub fn new(limit_mb: u32) -> Self {
        Self {
            limit_bytes: (limit_mb as usize) << 20,
            used_bytes: 0,
            peak_bytes: 0,
            hit_limit: false,
            max_table_elements: 1_000_000,
        }
    }

    /// Peak memory of this store in bytes.
    pub fn peak_bytes(&self) -> usize {
        self.peak_bytes
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current);
        let total = self.used_bytes.saturating_add(growth);
        if total > self.limit_bytes {
            self.hit_limit = true;
            return Ok(false);
        }
        self.used_bytes = total;
        self.peak_bytes = self.peak_bytes.max(total);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.max_table_elements)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_across_memories() {
        let mut limiter = MemoryLimiter::new(1);
        assert!(limiter.memory_growing(0, 600 << 10, None).unwrap_or(false));
        assert!(
            !limiter.memory_growing(0, 600 << 10, None).unwrap_or(true),
            "second memory pushes the sum past 1 MiB"
        );
        assert!(limiter.hit_limit);
        assert_eq!(limiter.peak_bytes(), 600 << 10);
    }
}
