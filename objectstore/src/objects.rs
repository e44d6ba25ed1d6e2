//! [`Objects`]: the S3 operations wasm-fc serves, on `s3s-fs`'s filesystem
//! backend, with the platform's rules added around each:
//!
//! - objects are written only into buckets that exist (`NoSuchBucket`);
//! - an object over [`ObjectsConfig::max_object_size`] is refused with
//!   `EntityTooLarge` (a single PUT, a part, or a completed multipart upload);
//! - a bucket that still holds objects is not deleted (`BucketNotEmpty`);
//! - every object created (PutObject, CopyObject, CompleteMultipartUpload) or
//!   removed (DeleteObject, and DeleteObjects once per key) becomes an
//!   [`ObjectEvent`] that the [`EventSink`] accepts before the client gets
//!   its answer.
//!
//! Operations not listed in [`S3`]'s impl below answer S3's `NotImplemented`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

use crate::event::{EVENT_DEPTH_HEADER, EventSink, ObjectEvent};
use crate::read::object_path;

/// The default object size limit: 5 GiB, S3's own limit for one PUT.
pub const DEFAULT_MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// How the store is set up.
#[derive(Debug, Clone)]
pub struct ObjectsConfig {
    /// Where buckets are directories and objects files (created if missing).
    pub root: PathBuf,
    /// Largest object accepted, in bytes. Default [`DEFAULT_MAX_OBJECT_SIZE`].
    pub max_object_size: u64,
}

/// The client's address, put into each request's extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct RemoteAddr(pub std::net::SocketAddr);

/// The embedded store's S3 operations.
pub struct Objects {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
    max_object_size: u64,
    sink: Arc<dyn EventSink>,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects")
            .field("root", &self.root)
            .field("max_object_size", &self.max_object_size)
            .finish_non_exhaustive()
    }
}

/// What the request says about who made it, for its events.
struct Caller {
    source_ip: String,
    access_key_id: String,
    depth: Option<u32>,
}

fn caller<T>(req: &S3Request<T>) -> Caller {
    Caller {
        source_ip: req
            .extensions
            .get::<RemoteAddr>()
            .map(|a| a.0.ip().to_string())
            .unwrap_or_default(),
        access_key_id: req
            .credentials
            .as_ref()
            .map(|c| c.access_key.clone())
            .unwrap_or_default(),
        depth: req
            .headers
            .get(EVENT_DEPTH_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok()),
    }
}

/// Whether `dir` holds any file at any depth (deleting `a/b` leaves the
/// empty directory `a`, which is no object).
fn holds_objects(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                holds_objects(&path)
            } else {
                true
            }
        })
    })
}

/// A request the store makes to its backend itself (to describe an object).
fn internal<T>(input: T) -> S3Request<T> {
    S3Request {
        input,
        method: http::Method::HEAD,
        uri: http::Uri::default(),
        headers: http::HeaderMap::new(),
        extensions: http::Extensions::new(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

/// A request id as OSS prints them: 24 upper-case hex digits.
fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..24].to_uppercase()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn too_large() -> s3s::S3Error {
    s3_error!(
        EntityTooLarge,
        "Your proposed upload exceeds the maximum allowed object size."
    )
}

fn unavailable(e: crate::event::SinkError) -> s3s::S3Error {
    s3_error!(
        ServiceUnavailable,
        "The object was stored but its events could not be queued ({e}); please retry."
    )
}

/// Answers with the request id OSS and S3 clients read.
fn answered<T>(output: T, request_id: &str) -> S3Response<T> {
    let mut response = S3Response::new(output);
    if let Ok(value) = http::HeaderValue::from_str(request_id) {
        response.headers.insert("x-amz-request-id", value);
    }
    response
}

impl Objects {
    /// Opens (creating) the store at `config.root`; events go to `sink`.
    pub fn open(
        config: &ObjectsConfig,
        sink: Arc<dyn EventSink>,
    ) -> Result<Self, crate::ObjectStoreError> {
        let open_error = |source| crate::ObjectStoreError::Open {
            path: config.root.display().to_string(),
            source,
        };
        std::fs::create_dir_all(&config.root).map_err(open_error)?;
        let root = config.root.canonicalize().map_err(open_error)?;
        let fs = s3s_fs::FileSystem::new(&root)
            .map_err(|e| crate::ObjectStoreError::Backend(format!("{e:?}")))?;
        Ok(Self {
            fs,
            root,
            max_object_size: config.max_object_size,
            sink,
        })
    }

    /// The directory the buckets live in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn bucket_exists(&self, bucket: &str) -> bool {
        !bucket.starts_with('.') && self.root.join(bucket).is_dir()
    }

    fn require_bucket(&self, bucket: &str) -> S3Result<()> {
        if self.bucket_exists(bucket) {
            Ok(())
        } else {
            Err(s3_error!(
                NoSuchBucket,
                "The specified bucket does not exist."
            ))
        }
    }

    /// The size of `bucket/key` now, if it is an object.
    fn size_of(&self, bucket: &str, key: &str) -> Option<u64> {
        let path = object_path(&self.root, bucket, key)?;
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    /// Announces an object just created: its event, accepted by the sink.
    async fn announce_created(
        &self,
        name: &'static str,
        bucket: &str,
        key: &str,
        old_size: Option<u64>,
        caller: &Caller,
        request_id: &str,
    ) -> S3Result<()> {
        let event = self
            .created(name, bucket, key, old_size, caller, request_id)
            .await;
        self.sink
            .object_events(vec![event])
            .await
            .map_err(unavailable)
    }

    /// The event for an object just created.
    async fn created(
        &self,
        name: &'static str,
        bucket: &str,
        key: &str,
        old_size: Option<u64>,
        caller: &Caller,
        request_id: &str,
    ) -> ObjectEvent {
        let head = self
            .fs
            .head_object(internal(HeadObjectInput {
                bucket: bucket.to_string(),
                key: key.to_string(),
                ..Default::default()
            }))
            .await
            .map(|r| r.output);
        let (size, etag, mime_type, user_meta) = match head {
            Ok(head) => (
                head.content_length.unwrap_or(0).max(0) as u64,
                head.e_tag
                    .as_ref()
                    .map(|e| e.value().to_uppercase())
                    .unwrap_or_default(),
                head.content_type.unwrap_or_default(),
                head.metadata
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (format!("x-oss-meta-{k}"), v))
                    .collect(),
            ),
            Err(e) => {
                tracing::warn!(bucket, key, error = %e, "cannot describe a new object for its event");
                (0, String::new(), String::new(), BTreeMap::new())
            }
        };
        ObjectEvent {
            name,
            bucket: bucket.to_string(),
            key: key.to_string(),
            size,
            delta_size: size as i64 - old_size.unwrap_or(0) as i64,
            etag,
            mime_type,
            user_meta,
            source_ip: caller.source_ip.clone(),
            request_id: request_id.to_string(),
            access_key_id: caller.access_key_id.clone(),
            time_ms: now_ms(),
            caused_at_depth: caller.depth,
        }
    }

    fn removed(
        name: &'static str,
        bucket: &str,
        key: &str,
        old_size: u64,
        caller: &Caller,
        request_id: &str,
    ) -> ObjectEvent {
        ObjectEvent {
            name,
            bucket: bucket.to_string(),
            key: key.to_string(),
            size: 0,
            delta_size: -(old_size as i64),
            etag: String::new(),
            mime_type: String::new(),
            user_meta: BTreeMap::new(),
            source_ip: caller.source_ip.clone(),
            request_id: request_id.to_string(),
            access_key_id: caller.access_key_id.clone(),
            time_ms: now_ms(),
            caused_at_depth: caller.depth,
        }
    }

    /// The total size of the parts a CompleteMultipartUpload names, from the
    /// part files `s3s-fs` keeps (`.upload_id-{id}.part-{n}` under the root).
    fn parts_size(&self, upload_id: &str, parts: &[CompletedPart]) -> u64 {
        parts
            .iter()
            .filter_map(|p| p.part_number)
            .filter_map(|n| {
                std::fs::metadata(self.root.join(format!(".upload_id-{upload_id}.part-{n}"))).ok()
            })
            .map(|m| m.len())
            .sum()
    }
}

#[async_trait::async_trait]
impl S3 for Objects {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let mut response = self.fs.list_buckets(req).await?;
        if let Some(buckets) = response.output.buckets.as_mut() {
            buckets.retain(|b| b.name.as_deref().is_some_and(|n| !n.starts_with('.')));
        }
        Ok(response)
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        if self.bucket_exists(&req.input.bucket) {
            return Err(s3_error!(
                BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it."
            ));
        }
        self.fs.create_bucket(req).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let bucket = &req.input.bucket;
        self.require_bucket(bucket)?;
        if holds_objects(&self.root.join(bucket)) {
            return Err(s3_error!(
                BucketNotEmpty,
                "The bucket you tried to delete is not empty."
            ));
        }
        self.fs.delete_bucket(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.head_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.get_bucket_location(req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.require_bucket(&bucket)?;
        let declared = req.input.content_length.unwrap_or(0).max(0) as u64;
        if declared > self.max_object_size {
            return Err(too_large());
        }
        let caller = caller(&req);
        let old_size = self.size_of(&bucket, &key);
        let request_id = new_request_id();
        let response = self.fs.put_object(req).await?;
        // A body longer than it declared (chunked uploads declare after the
        // fact) is caught here: the object is removed again before anyone is
        // told it exists.
        if self.size_of(&bucket, &key).unwrap_or(0) > self.max_object_size {
            if let Some(path) = object_path(&self.root, &bucket, &key) {
                let _ = tokio::fs::remove_file(path).await;
            }
            return Err(too_large());
        }
        if !key.ends_with('/') {
            self.announce_created(
                "ObjectCreated:PutObject",
                &bucket,
                &key,
                old_size,
                &caller,
                &request_id,
            )
            .await?;
        }
        Ok(answered(response.output, &request_id))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.require_bucket(&req.input.bucket)?;
        if self.size_of(&req.input.bucket, &req.input.key).is_none() {
            return Err(s3_error!(NoSuchKey, "The specified key does not exist."));
        }
        self.fs.get_object(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.require_bucket(&req.input.bucket)?;
        if self.size_of(&req.input.bucket, &req.input.key).is_none() {
            return Err(s3_error!(NoSuchKey, "The specified key does not exist."));
        }
        self.fs.head_object(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.require_bucket(&bucket)?;
        let caller = caller(&req);
        let old_size = self.size_of(&bucket, &key);
        let request_id = new_request_id();
        let response = self.fs.delete_object(req).await?;
        if let Some(old_size) = old_size {
            let event = Self::removed(
                "ObjectRemoved:DeleteObject",
                &bucket,
                &key,
                old_size,
                &caller,
                &request_id,
            );
            self.sink
                .object_events(vec![event])
                .await
                .map_err(unavailable)?;
        }
        Ok(answered(response.output, &request_id))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        self.require_bucket(&bucket)?;
        let caller = caller(&req);
        let existing: Vec<(String, u64)> = req
            .input
            .delete
            .objects
            .iter()
            .filter_map(|o| self.size_of(&bucket, &o.key).map(|s| (o.key.clone(), s)))
            .collect();
        let request_id = new_request_id();
        let response = self.fs.delete_objects(req).await?;
        let events: Vec<ObjectEvent> = existing
            .iter()
            .filter(|(key, _)| self.size_of(&bucket, key).is_none())
            .map(|(key, size)| {
                Self::removed(
                    "ObjectRemoved:DeleteObjects",
                    &bucket,
                    key,
                    *size,
                    &caller,
                    &request_id,
                )
            })
            .collect();
        if !events.is_empty() {
            self.sink.object_events(events).await.map_err(unavailable)?;
        }
        Ok(answered(response.output, &request_id))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.list_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.list_objects_v2(req).await
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.require_bucket(&bucket)?;
        if let CopySource::Bucket {
            bucket: from_bucket,
            key: from_key,
            ..
        } = &req.input.copy_source
        {
            self.require_bucket(from_bucket)?;
            match self.size_of(from_bucket, from_key) {
                None => return Err(s3_error!(NoSuchKey, "The specified key does not exist.")),
                Some(size) if size > self.max_object_size => return Err(too_large()),
                Some(_) => {}
            }
        }
        let caller = caller(&req);
        let old_size = self.size_of(&bucket, &key);
        let request_id = new_request_id();
        let response = self.fs.copy_object(req).await?;
        self.announce_created(
            "ObjectCreated:CopyObject",
            &bucket,
            &key,
            old_size,
            &caller,
            &request_id,
        )
        .await?;
        Ok(answered(response.output, &request_id))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.create_multipart_upload(req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.require_bucket(&req.input.bucket)?;
        let declared = req.input.content_length.unwrap_or(0).max(0) as u64;
        if declared > self.max_object_size {
            return Err(too_large());
        }
        self.fs.upload_part(req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.list_parts(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.require_bucket(&bucket)?;
        let parts = req
            .input
            .multipart_upload
            .as_ref()
            .and_then(|m| m.parts.as_deref())
            .unwrap_or_default();
        if self.parts_size(&req.input.upload_id, parts) > self.max_object_size {
            return Err(too_large());
        }
        let caller = caller(&req);
        let old_size = self.size_of(&bucket, &key);
        let request_id = new_request_id();
        let response = self.fs.complete_multipart_upload(req).await?;
        self.announce_created(
            "ObjectCreated:CompleteMultipartUpload",
            &bucket,
            &key,
            old_size,
            &caller,
            &request_id,
        )
        .await?;
        Ok(answered(response.output, &request_id))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.abort_multipart_upload(req).await
    }
}
