//! Who is asking, and how often: the client behind a request (its address,
//! taken from `X-Forwarded-For` only when the peer is a trusted proxy; IPv6
//! counted per /64, the block one subscriber line holds), open connections per
//! client, and sliding-window limits whose memory stays bounded whatever the
//! traffic.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A client as limits count it: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum ClientKey {
    V4(std::net::Ipv4Addr),
    /// The first 64 bits of the address.
    V6(u64),
}

impl ClientKey {
    pub(super) fn of(address: IpAddr) -> ClientKey {
        match address {
            IpAddr::V4(v4) => ClientKey::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(v4),
                None => ClientKey::V6((v6.to_bits() >> 64) as u64),
            },
        }
    }
}

/// The peer of a connection, as the request handlers get it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Peer(pub IpAddr);

/// Which peers may say who the client is.
#[derive(Debug, Clone, Default)]
pub struct Proxies(pub Vec<ipnet::IpNet>);

impl Proxies {
    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client of a request: the peer, unless the peer is a trusted proxy;
    /// then the last address in `X-Forwarded-For` that is not a trusted proxy
    /// (proxies append the address they saw, so the ones before it are the
    /// client's own claims).
    pub fn client(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .map(|a| a.parse::<IpAddr>())
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        forwarded
            .into_iter()
            .rev()
            .find(|a| !self.trusts(*a))
            .unwrap_or(peer)
    }
}

/// Open connections per client, within a cap.
#[derive(Debug, Default)]
pub(super) struct Connections {
    open: Mutex<HashMap<ClientKey, usize>>,
}

impl Connections {
    /// Counts a new connection of `key`, unless it has `cap` open already.
    pub(super) fn enter(&self, key: ClientKey, cap: usize) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key).or_default();
        if *count >= cap {
            return false;
        }
        *count += 1;
        true
    }

    /// A connection of `key` ended.
    pub(super) fn leave(&self, key: ClientKey) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&key);
            }
        }
    }
}

/// At most `limit` events per key within `period`, keeping at most `max_keys`
/// keys: quiet keys are forgotten, and when every key is busy a new one is
/// refused rather than remembered, so memory stays bounded under any traffic.
#[derive(Debug)]
pub struct Window<K> {
    limit: usize,
    period: Duration,
    max_keys: usize,
    events: Mutex<HashMap<K, VecDeque<DateTime<Utc>>>>,
}

impl<K: Eq + Hash + Clone> Window<K> {
    pub fn new(limit: u32, period: Duration, max_keys: usize) -> Window<K> {
        Window {
            limit: limit as usize,
            period,
            max_keys,
            events: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` may have another event now, and if so counts it.
    pub fn allow(&self, key: &K, now: DateTime<Utc>) -> bool {
        let since = now - self.period;
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if !events.contains_key(key) && events.len() >= self.max_keys {
            events.retain(|_, times| times.back().is_some_and(|at| *at > since));
            if events.len() >= self.max_keys {
                return false;
            }
        }
        let times = events.entry(key.clone()).or_default();
        while times.front().is_some_and(|at| *at <= since) {
            times.pop_front();
        }
        if times.len() >= self.limit {
            return false;
        }
        times.push_back(now);
        true
    }

    /// Takes back the last event counted for `key` (it did not happen after all).
    pub fn forget_last(&self, key: &K) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = events.get_mut(key) {
            times.pop_back();
        }
    }

    /// How many keys are remembered.
    pub fn keys(&self) -> usize {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> axum::http::HeaderMap {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let none = Proxies::default();
        assert_eq!(none.client(loopback, &headers("203.0.113.9")), loopback);
        let proxy = Proxies(vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ]);
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(proxy.client(loopback, &headers("203.0.113.9")), client);
        // A client's own claim comes first; the proxies' additions last.
        assert_eq!(
            proxy.client(loopback, &headers("198.51.100.1, 203.0.113.9, 10.1.2.3")),
            client
        );
        // From a peer that is not a proxy the header is ignored.
        let stranger: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(proxy.client(stranger, &headers("203.0.113.9")), stranger);
        // Garbage in the header: the peer.
        assert_eq!(proxy.client(loopback, &headers("not an address")), loopback);
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let a = ClientKey::of("2001:db8:1:2::1".parse().unwrap());
        let b = ClientKey::of("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap());
        let c = ClientKey::of("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            ClientKey::of("::ffff:192.0.2.1".parse().unwrap()),
            ClientKey::of("192.0.2.1".parse().unwrap())
        );
    }

    #[test]
    fn a_window_limits_each_key_and_never_grows_past_its_size() {
        let window: Window<u32> = Window::new(2, Duration::hours(1), 100);
        let now = Utc::now();
        assert!(window.allow(&1, now));
        assert!(window.allow(&1, now));
        assert!(!window.allow(&1, now));
        assert!(window.allow(&1, now + Duration::hours(2)), "an hour later");
        for key in 0..10_000 {
            window.allow(&key, now);
        }
        assert!(window.keys() <= 100);
        // Full: a new key is refused, one already remembered still counts.
        assert!(!window.allow(&50_000, now));
        assert!(window.allow(&0, now));
        // Once the others are quiet, new keys are welcome again.
        assert!(window.allow(&20_000, now + Duration::hours(3)));
        assert!(window.keys() <= 100);
    }

    #[test]
    fn connections_are_capped_per_client_and_released() {
        let connections = Connections::default();
        let key = ClientKey::of("192.0.2.1".parse().unwrap());
        assert!(connections.enter(key, 2));
        assert!(connections.enter(key, 2));
        assert!(!connections.enter(key, 2));
        connections.leave(key);
        assert!(connections.enter(key, 2));
    }
}
