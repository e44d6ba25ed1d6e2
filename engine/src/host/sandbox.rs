//! The guest's world, deny by default: only the given preopens, only the given
//! environment, sockets only with `internetAccess`, no inherited stdio.

use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::config::FunctionConfig;
use crate::error::DeployError;
use crate::host::log::LogCapture;

/// A WASI context builder holding exactly what `config` grants, with stdout and
/// stderr going to `log` and the extra variables `env` (the `FC_*` context).
pub fn wasi_builder(
    config: &FunctionConfig,
    log: &LogCapture,
    env: &[(String, String)],
) -> Result<WasiCtxBuilder, DeployError> {
    let mut builder = WasiCtxBuilder::new();
    builder.stdout(log.clone()).stderr(log.clone());
    for (key, value) in &config.environment {
        builder.env(key, value);
    }
    for (key, value) in env {
        builder.env(key, value);
    }
    for preopen in &config.preopens {
        let perms = if preopen.writable {
            FsPerms::ReadWrite
        } else {
            FsPerms::ReadOnly
        };
        builder
            .preopened_dir(&preopen.host_path, &preopen.guest_path, perms)
            .map_err(|e| DeployError::Preopen {
                host: preopen.host_path.display().to_string(),
                guest: preopen.guest_path.clone(),
                reason: e.to_string(),
            })?;
    }
    if config.internet_access {
        builder
            .inherit_network()
            .allow_ip_name_lookup(true)
            .allow_tcp(true)
            .allow_udp(true);
    } else {
        builder
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }));
    }
    Ok(builder)
}

/// Checks every preopen up front, so a missing directory fails at deploy time
/// with a clear error instead of at the first invocation.
pub fn check_preopens(config: &FunctionConfig) -> Result<(), DeployError> {
    for preopen in &config.preopens {
        if !preopen.host_path.is_dir() {
            return Err(DeployError::Preopen {
                host: preopen.host_path.display().to_string(),
                guest: preopen.guest_path.clone(),
                reason: "not a directory on the host".to_string(),
            });
        }
        if !preopen.guest_path.starts_with('/') {
            return Err(DeployError::Preopen {
                host: preopen.host_path.display().to_string(),
                guest: preopen.guest_path.clone(),
                reason: "the guest path must be absolute".to_string(),
            });
        }
    }
    Ok(())
}
