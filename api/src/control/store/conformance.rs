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
