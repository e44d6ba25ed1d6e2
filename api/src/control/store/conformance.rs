//! What every store backend must do the same way, as checks over `&dyn Store`:
//! the SQLite tests and the PostgreSQL tests run the same ones.

use serde_json::json;

use super::{Kind, ListQuery, Store, StoreError, Tx};

/// One write transaction around `body`.
pub fn write(
    s: &dyn Store,
    mut body: impl FnMut(&mut dyn Tx) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    s.transaction(&mut body)
}

/// Insert, conflict, FC's paging (`startKey`, `prefix`, `nextToken`), delete, count.
pub fn crud_and_paging_follow_fc_rules(s: &dyn Store) {
    for name in ["abc", "abd", "ade", "bcd", "bde", "zzz"] {
        write(s, |tx| {
            tx.insert(Kind::Service, "", name, &json!({ "serviceName": name }))
        })
        .unwrap();
    }
    assert!(matches!(
        write(s, |tx| tx.insert(Kind::Service, "", "abc", &json!({}))),
        Err(StoreError::AlreadyExists)
    ));
    let page = s
        .list(
            Kind::Service,
            "",
            &ListQuery {
                start: Some("b".into()),
                limit: 2,
                ..Default::default()
            },
        )
        .unwrap();
    let names: Vec<&str> = page
        .items
        .iter()
        .filter_map(|v| v["serviceName"].as_str())
        .collect();
    assert_eq!(names, ["bcd", "bde"]);
    assert_eq!(page.next.as_deref(), Some("zzz"));
    let page = s
        .list(
            Kind::Service,
            "",
            &ListQuery {
                prefix: "a".into(),
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.items.len(), 3);
    assert!(page.next.is_none());
    write(s, |tx| tx.delete(Kind::Service, "", "abc")).unwrap();
    assert!(matches!(
        write(s, |tx| tx.delete(Kind::Service, "", "abc")),
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.count(Kind::Service, "").unwrap(), 5);
}

/// A body that fails rolls back what it wrote before failing.
pub fn a_failed_transaction_body_writes_nothing(s: &dyn Store) {
    let result = write(s, |tx| {
        tx.insert(Kind::Service, "", "a", &json!({}))?;
        tx.insert(Kind::Service, "", "a", &json!({}))
    });
    assert!(matches!(result, Err(StoreError::AlreadyExists)));
    assert_eq!(s.get(Kind::Service, "", "a").unwrap(), None, "rolled back");
}

fn fire(trigger: &str, scheduled_ms: i64) -> super::ClaimedFire {
    super::ClaimedFire {
        trigger_key: trigger.to_string(),
        scheduled_ms,
        invocation: super::QueuedInvocation {
            id: 0,
            request_id: format!("{trigger}@{scheduled_ms}"),
            service: "s".into(),
            qualifier: "LATEST".into(),
            function: "f".into(),
            payload: b"{}".to_vec(),
            attempts: 0,
            not_before_ms: scheduled_ms + 30_000,
            enqueued_ms: scheduled_ms,
            origin: None,
        },
    }
}

/// A fire is enqueued by the first claim of (trigger, time) only; claims a
/// day old are removed.
pub fn a_fire_is_enqueued_once(s: &dyn Store) {
    let depth = s.queue_depth().unwrap();
    let won = s
        .enqueue_fires(&[fire("s/f/t", 1_000), fire("s/f/u", 1_000)], "a")
        .unwrap();
    assert!(won.iter().all(Option::is_some), "{won:?}");
    let second = s
        .enqueue_fires(&[fire("s/f/t", 1_000), fire("s/f/t", 2_000)], "b")
        .unwrap();
    assert_eq!(second[0], None, "the same fire again loses its claim");
    assert!(second[1].is_some(), "the next second is a new fire");
    assert_eq!(s.queue_depth().unwrap(), depth + 3);
    // A day later the old claims are gone, but never re-fired: the scheduler
    // only schedules forward.
    let later = 1_000 + super::FIRE_CLAIM_RETENTION_MS + 5_000;
    assert!(s.enqueue_fires(&[fire("s/f/t", later)], "a").unwrap()[0].is_some());
    assert!(
        s.enqueue_fires(&[fire("s/f/t", 1_000)], "a").unwrap()[0].is_some(),
        "the day-old claim was removed"
    );
}

/// Leases handed back at stop are due at once, for any node; only the
/// owner's are released.
pub fn released_leases_are_due_for_anyone(s: &dyn Store) {
    let ids: Vec<i64> = s
        .enqueue_fires(&[fire("r/f/t", 10), fire("r/f/t", 20)], "a")
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        s.claim("b", 100, 10, 200).unwrap().is_empty(),
        "leased to a"
    );
    assert_eq!(s.release_leases("b", &ids, 100).unwrap(), 0, "not b's");
    assert_eq!(s.release_leases("a", &ids[..1], 100).unwrap(), 1);
    let taken = s.claim("b", 100, 10, 200).unwrap();
    assert_eq!(taken.iter().map(|i| i.id).collect::<Vec<_>>(), [ids[0]]);
}

/// Heartbeats list live nodes; old rows leave the view, removed ones at once.
pub fn nodes_are_listed_by_heartbeat(s: &dyn Store) {
    s.heartbeat("n1", 1_000, &json!({ "nodeId": "n1" }))
        .unwrap();
    s.heartbeat("n2", 5_000, &json!({ "nodeId": "n2" }))
        .unwrap();
    s.heartbeat("n1", 6_000, &json!({ "nodeId": "n1", "v": 2 }))
        .unwrap();
    let live = s.nodes(4_000, 7_000).unwrap();
    assert_eq!(live.len(), 2);
    assert_eq!(live[0]["v"], 2, "the last heartbeat's body");
    assert_eq!(s.nodes(5_500, 7_000).unwrap().len(), 1, "n2 is stale");
    s.remove_node("n1").unwrap();
    assert!(s.nodes(5_500, 7_000).unwrap().is_empty());
    let much_later = 5_000 + super::NODE_ROW_RETENTION_MS + 1;
    assert!(
        s.nodes(0, much_later).unwrap().is_empty(),
        "n2's row removed"
    );
}

/// An event source's origin (trigger, event time, loop depth) comes back
/// with the invocation that carries it; others have none.
pub fn an_event_origin_survives_the_queue(s: &dyn Store) {
    let origin = super::EventOrigin {
        trigger: "svc/fn/on-upload".into(),
        event_ms: 1_700_000_000_123,
        depth: 3,
    };
    let mut with = fire("o/f/t", 5_000).invocation;
    with.not_before_ms = 0;
    with.origin = Some(origin.clone());
    let mut without = with.clone();
    without.origin = None;
    without.request_id = "plain".into();
    let ids = s.enqueue_many(&[with, without], None).unwrap();
    let claimed = s.claim("o", 10, 100, 1_000).unwrap();
    let by_id = |id: i64| claimed.iter().find(|i| i.id == id).cloned().unwrap();
    assert_eq!(by_id(ids[0]).origin, Some(origin));
    assert_eq!(by_id(ids[1]).origin, None);
    for id in ids {
        s.complete(id).unwrap();
    }
}

/// Every queue, claim and node check, for a backend's test.
pub fn queue_claims_and_nodes(s: &dyn Store) {
    a_fire_is_enqueued_once(s);
    released_leases_are_due_for_anyone(s);
    nodes_are_listed_by_heartbeat(s);
    an_event_origin_survives_the_queue(s);
}
