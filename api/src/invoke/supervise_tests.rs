use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

const QUICK: Backoff = Backoff {
    first: Duration::from_millis(1),
    max: Duration::from_millis(4),
};

/// A factory whose runs panic until the `panics`-th, then return; counts runs.
fn flaky(panics: u32, runs: Arc<AtomicU32>) -> impl FnMut() -> futures_ready::Ready + Send {
    move || {
        let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
        futures_ready::Ready(run <= panics)
    }
}

/// A tiny future that panics (or not) when polled, so the test needs no crate.
mod futures_ready {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub struct Ready(pub bool);

    impl Future for Ready {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            assert!(!self.0, "supervise test: this run panics on purpose");
            Poll::Ready(())
        }
    }
}

#[tokio::test]
async fn a_panicking_task_is_counted_and_restarted_until_it_returns() {
    let counter = Counter::default();
    let runs = Arc::new(AtomicU32::new(0));
    let (_stop_tx, stop) = watch::channel(false);
    supervise(
        "flaky",
        counter.clone(),
        stop,
        QUICK,
        flaky(3, runs.clone()),
    )
    .await;
    assert_eq!(counter.get(), 3);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        4,
        "three panics, then a run that returned"
    );
}

#[tokio::test]
async fn a_task_that_returns_is_not_restarted() {
    let counter = Counter::default();
    let runs = Arc::new(AtomicU32::new(0));
    let (_stop_tx, stop) = watch::channel(false);
    supervise("fine", counter.clone(), stop, QUICK, flaky(0, runs.clone())).await;
    assert_eq!((counter.get(), runs.load(Ordering::SeqCst)), (0, 1));
}

#[tokio::test]
async fn stop_ends_the_restarts() {
    let counter = Counter::default();
    let runs = Arc::new(AtomicU32::new(0));
    let (stop_tx, stop) = watch::channel(false);
    let slow = Backoff {
        first: Duration::from_secs(3600),
        max: Duration::from_secs(3600),
    };
    let supervisor = tokio::spawn(supervise(
        "always",
        counter.clone(),
        stop,
        slow,
        flaky(u32::MAX, runs.clone()),
    ));
    // Wait (bounded) for the first panic, then stop during the hour-long backoff.
    for _ in 0..10_000 {
        if counter.get() >= 1 {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(counter.get(), 1);
    stop_tx.send(true).unwrap();
    supervisor.await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1, "no restart after stop");
}

#[test]
fn panic_messages_are_kept() {
    assert_eq!(panic_message(Box::new("static text")), "static text");
    assert_eq!(panic_message(Box::new(String::from("owned"))), "owned");
    assert!(panic_message(Box::new(7u8)).contains("without a message"));
}
