//! Prometheus metrics, served as text at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    /// `accepted` or `rejected`.
    pub result: &'static str,
    /// The rejection's code; empty when accepted.
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClaimLabels {
    pub granted: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventIdLabels {
    pub event: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

/// The store's health as the server sees it: its circuit breaker, what it refused and why,
/// and how many operations are waiting on it.
#[derive(Clone, Default)]
pub struct StoreMetrics {
    /// 1 for the breaker's current state (`closed`, `open`, `half_open`), 0 for the others.
    pub breaker_state: Family<StateLabels, Gauge>,
    /// Transitions, by the state entered.
    pub breaker_transitions: Family<StateLabels, Counter>,
    /// Operations refused without trying the store: `open` (the breaker) or `busy` (too many in
    /// flight).
    pub refused: Family<ReasonLabels, Counter>,
    /// Operations the store failed: `timeout` or `error`.
    pub failures: Family<ReasonLabels, Counter>,
    pub in_flight: Gauge,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    // 50 µs to about 1.6 s.
    Histogram::new(exponential_buckets(0.00005, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: HistogramFamily<RouteLabels>,
    pub events: Family<EventLabels, Counter>,
    /// From receiving a batch of events to answering it, durable (per batch).
    pub event_seconds: Histogram,
    pub claims: Family<ClaimLabels, Counter>,
    pub sessions_open: Gauge,
    pub websockets: Gauge,
    pub throttled: Counter,
    pub conflicts: Counter,
    /// Sessions whose logs were replaced by their summaries (retention and erasure).
    pub compacted: Counter,
    pub store: StoreMetrics,
    /// Live events: players in each event's latest window.
    pub window_players: Family<EventIdLabels, Gauge>,
    pub board_writes: Counter,
    pub board_reads: Counter,
    /// Grants in the outbox that no backend has acknowledged yet, and those it has.
    pub grants_pending: Gauge,
    pub grants_delivered: Counter,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("xmarks");
        let requests = Family::default();
        let request_seconds: HistogramFamily<RouteLabels> = Family::new_with_constructor(latency);
        let events = Family::default();
        let event_seconds = latency();
        let claims = Family::default();
        let sessions_open = Gauge::default();
        let websockets = Gauge::default();
        let throttled = Counter::default();
        let conflicts = Counter::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_seconds", "HTTP request latency by route", request_seconds.clone());
        registry.register("events", "Player events by result and rejection reason", events.clone());
        registry.register(
            "event_batch_seconds",
            "Time from receiving a batch of events to answering it, durable",
            event_seconds.clone(),
        );
        registry.register("claims", "Global-cap claims resolved", claims.clone());
        registry.register("sessions_open", "Sessions held by this server that are still active", sessions_open.clone());
        registry.register("websockets", "Open WebSocket connections", websockets.clone());
        registry.register("throttled", "Requests and messages refused for flooding", throttled.clone());
        registry.register("store_conflicts", "Appends retried because another server wrote first", conflicts.clone());
        let compacted = Counter::default();
        registry.register(
            "sessions_compacted",
            "Sessions whose logs were replaced by their summaries",
            compacted.clone(),
        );
        let window_players = Family::default();
        let (board_writes, board_reads) = (Counter::default(), Counter::default());
        let (grants_pending, grants_delivered) = (Gauge::default(), Counter::default());
        registry.register("window_players", "Players in each live event's latest window", window_players.clone());
        registry.register("leaderboard_writes", "Results entered on leaderboards", board_writes.clone());
        registry.register("leaderboard_reads", "Leaderboard reads", board_reads.clone());
        registry.register("grants_pending", "Grants in the outbox not yet acknowledged", grants_pending.clone());
        registry.register("grants_delivered", "Grants acknowledged by the game's backend", grants_delivered.clone());
        let store = StoreMetrics::default();
        registry.register(
            "store_breaker_state",
            "The store's circuit breaker: 1 for its state",
            store.breaker_state.clone(),
        );
        registry.register(
            "store_breaker_transitions",
            "Circuit breaker transitions, by the state entered",
            store.breaker_transitions.clone(),
        );
        registry.register("store_refused", "Store operations refused without trying, by reason", store.refused.clone());
        registry.register("store_failures", "Store operations that failed, by reason", store.failures.clone());
        registry.register("store_in_flight", "Store operations under way", store.in_flight.clone());
        Metrics {
            compacted,
            store,
            registry,
            requests,
            request_seconds,
            events,
            event_seconds,
            claims,
            sessions_open,
            websockets,
            throttled,
            conflicts,
            window_players,
            board_writes,
            board_reads,
            grants_pending,
            grants_delivered,
        }
    }

    pub fn event(&self, reason: Option<&'static str>) {
        let labels = match reason {
            None => EventLabels { result: "accepted", reason: "" },
            Some(code) => EventLabels { result: "rejected", reason: code },
        };
        self.events.get_or_create(&labels).inc();
    }

    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String");
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
