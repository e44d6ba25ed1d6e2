//! Direct reads of stored objects, outside the S3 protocol: the platform takes
//! a function's code zip from the store this way.

use std::path::{Component, Path, PathBuf};

/// Why an object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the bucket {0:?} does not exist")]
    NoSuchBucket(String),
    #[error("the object {key:?} does not exist in bucket {bucket:?}")]
    NoSuchKey { bucket: String, key: String },
    #[error("the object {0:?} is larger than {1} bytes")]
    TooLarge(String, u64),
    #[error("reading the object: {0}")]
    Io(#[from] std::io::Error),
}

/// Where `bucket/key` lives under `root`, or `None` for a name that would
/// leave the bucket (`..`, absolute paths) or name the bucket itself.
pub fn object_path(root: &Path, bucket: &str, key: &str) -> Option<PathBuf> {
    let plain = |name: &str| {
        !name.is_empty()
            && Path::new(name)
                .components()
                .all(|c| matches!(c, Component::Normal(_)))
    };
    (plain(bucket) && !bucket.contains('/') && plain(key) && !key.ends_with('/'))
        .then(|| root.join(bucket).join(key))
}

/// Reads `bucket/key` whole, refusing objects over `max_bytes`.
pub async fn read_object(
    root: &Path,
    bucket: &str,
    key: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, ReadError> {
    let no_key = || ReadError::NoSuchKey {
        bucket: bucket.to_string(),
        key: key.to_string(),
    };
    if !tokio::fs::metadata(root.join(bucket))
        .await
        .map(|m| m.is_dir())
        .unwrap_or(false)
        || bucket.starts_with('.')
    {
        return Err(ReadError::NoSuchBucket(bucket.to_string()));
    }
    let path = object_path(root, bucket, key).ok_or_else(no_key)?;
    let size = match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => return Err(no_key()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(no_key()),
        Err(e) => return Err(e.into()),
    };
    if size > max_bytes {
        return Err(ReadError::TooLarge(key.to_string(), max_bytes));
    }
    Ok(tokio::fs::read(&path).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_bucket_are_refused() {
        let root = Path::new("/data");
        assert_eq!(
            object_path(root, "b", "a/c.zip"),
            Some(PathBuf::from("/data/b/a/c.zip"))
        );
        for (bucket, key) in [
            ("b", "../x"),
            ("b", "/etc/passwd"),
            ("..", "x"),
            ("b", ""),
            ("", "x"),
            ("b/c", "x"),
            ("b", "dir/"),
        ] {
            assert_eq!(object_path(root, bucket, key), None, "{bucket} {key}");
        }
    }

    #[tokio::test]
    async fn reads_an_object_and_names_what_is_missing() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("code/dir")).unwrap();
        std::fs::write(root.path().join("code/dir/f.zip"), b"PK").unwrap();
        let read = read_object(root.path(), "code", "dir/f.zip", 10).await;
        assert_eq!(read.unwrap(), b"PK");
        assert!(matches!(
            read_object(root.path(), "nope", "f", 10).await,
            Err(ReadError::NoSuchBucket(_))
        ));
        assert!(matches!(
            read_object(root.path(), "code", "missing.zip", 10).await,
            Err(ReadError::NoSuchKey { .. })
        ));
        assert!(matches!(
            read_object(root.path(), "code", "dir/f.zip", 1).await,
            Err(ReadError::TooLarge(..))
        ));
    }
}
