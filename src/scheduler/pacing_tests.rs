//! Unit tests of pacing: caps at every level, rates, node choice, cap keys.

use super::*;

fn camp(id: i64) -> [CapKey; 1] {
    [CapKey::Campaign(id)]
}

fn node(name: &str, max: u32, cps: f64, weight: u32) -> NodeLimits {
    NodeLimits {
        name: name.into(),
        max_sessions: max,
        cps,
        weight,
    }
}

#[tokio::test(start_paused = true)]
async fn bucket_refills_at_its_rate() {
    let now = Instant::now();
    let mut b = TokenBucket::new(2.0, now);
    assert_eq!(b.available(now), 2);
    assert!(b.take(now) && b.take(now));
    assert!(!b.take(now));
    assert_eq!(b.wait(now), Duration::from_millis(500));
    tokio::time::advance(Duration::from_millis(500)).await;
    assert!(b.take(Instant::now()));
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(b.available(Instant::now()), 2, "capped at the burst");
}

#[tokio::test(start_paused = true)]
async fn free_slots_is_the_smallest_room() {
    let now = Instant::now();
    let p = Pacer::new(100, &[node("a", 10, 1000.0, 1)], now);
    assert_eq!(
        p.free_slots(&camp(1), now),
        0,
        "unknown campaign gets nothing"
    );
    p.set_campaign(1, 3, 1000.0, now);
    assert_eq!(p.free_slots(&camp(1), now), 3, "campaign lines");
    p.set_gateway("gw", 2, None, now);
    assert_eq!(
        p.free_slots(&[CapKey::Campaign(1), CapKey::Gateway("gw".into())], now),
        2,
        "gateway lines"
    );
    p.set_campaign(1, 50, 4.0, now);
    assert_eq!(p.free_slots(&camp(1), now), 4, "campaign cps");
    p.set_campaign(1, 50, 1000.0, now);
    assert_eq!(p.free_slots(&camp(1), now), 10, "node sessions");
    let p = Pacer::new(5, &[node("a", 10, 1000.0, 1)], now);
    p.set_campaign(1, 50, 1000.0, now);
    assert_eq!(p.free_slots(&camp(1), now), 5, "global cap");
}

#[tokio::test(start_paused = true)]
async fn permits_hold_lines_until_dropped() {
    let now = Instant::now();
    let p = Pacer::new(100, &[node("a", 10, 1000.0, 1)], now);
    p.set_campaign(7, 2, 1000.0, now);
    let a = p.acquire(&camp(7), now).unwrap();
    let _b = p.acquire(&camp(7), now).unwrap();
    assert!(p.acquire(&camp(7), now).is_none(), "lines cap");
    assert_eq!(p.active(), 2);
    drop(a);
    assert_eq!(p.active(), 1);
    assert!(p.acquire(&camp(7), now).is_some());
}

#[tokio::test(start_paused = true)]
async fn cps_spreads_calls_over_time() {
    let now = Instant::now();
    let p = Pacer::new(100, &[node("a", 100, 1000.0, 1)], now);
    p.set_campaign(1, 100, 5.0, now);
    let mut held = Vec::new();
    while let Some(permit) = p.acquire(&camp(1), now) {
        held.push(permit);
    }
    assert_eq!(held.len(), 5);
    assert_eq!(p.wait_hint(&camp(1), now), Duration::from_millis(200));
    tokio::time::advance(Duration::from_millis(200)).await;
    assert!(p.acquire(&camp(1), Instant::now()).is_some());
}

#[tokio::test(start_paused = true)]
async fn nodes_by_weight_health_and_room() {
    let now = Instant::now();
    let p = Pacer::new(1000, &[node("a", 100, 1e6, 1), node("b", 100, 1e6, 3)], now);
    p.set_campaign(1, 1000, 1e6, now);
    let permits: Vec<Permit> = (0..40).map(|_| p.acquire(&camp(1), now).unwrap()).collect();
    let on_b = permits.iter().filter(|x| x.node() == 1).count();
    assert_eq!(on_b, 30, "three quarters go to the weight-3 node");
    p.set_node_health(1, false);
    for _ in 0..5 {
        assert_eq!(p.acquire(&camp(1), now).unwrap().node(), 0);
    }
    p.set_node_health(0, false);
    assert!(p.acquire(&camp(1), now).is_none(), "no healthy node");
    assert_eq!(p.free_slots(&camp(1), now), 0);
    let p = Pacer::new(1000, &[node("a", 1, 1e6, 1), node("b", 1, 1e6, 1)], now);
    p.set_campaign(1, 10, 1e6, now);
    let x = p.acquire(&camp(1), now).unwrap();
    let y = p.acquire(&camp(1), now).unwrap();
    assert_ne!(x.node(), y.node(), "a full node is skipped");
    assert!(p.acquire(&camp(1), now).is_none());
    assert_eq!(p.node_name(1), "b");
}

#[tokio::test(start_paused = true)]
async fn a_campaign_cap_is_required_and_a_gateway_cap_optional() {
    let now = Instant::now();
    let p = Pacer::new(
        10,
        &[NodeLimits {
            name: "a".into(),
            max_sessions: 10,
            cps: 100.0,
            weight: 1,
        }],
        now,
    );
    let gw = [CapKey::Campaign(1), CapKey::Gateway("office".into())];
    assert_eq!(p.free_slots(&gw, now), 0, "campaign 1 has no caps yet");
    assert!(p.acquire(&gw, now).is_none());
    p.set_campaign(1, 2, 100.0, now);
    assert_eq!(p.free_slots(&gw, now), 2, "an unset gateway does not limit");
    p.set_gateway("office", 1, None, now);
    let held = p.acquire(&gw, now).expect("one line on the gateway");
    assert!(
        p.acquire(&gw, now).is_none(),
        "the gateway's one line is taken"
    );
    assert_eq!(
        p.free_slots(&camp(1), now),
        1,
        "the campaign alone has one more"
    );
    drop(held);
    assert_eq!(p.free_slots(&gw, now), 1);
}
