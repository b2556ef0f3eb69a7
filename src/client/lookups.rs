//! The requests that sum up addresses rather than search reports: `scan/ports`,
//! `scan/ipports` and `ip/summary`.

use std::net::IpAddr;

use futures::{StreamExt, TryStreamExt};
use reqwest::Url;

use super::{Client, Error};
use crate::models::{
    self, Date, IpParam, IpPorts, IpSummary, IpSummaryParams, MAX_IPPORTS_ADDRESSES, Ports,
    PortsParams, RequestError, Restrict, addresses, check_date_range,
};

/// A request for the open ports of an address or block (`scan/ports`), or of each address of a
/// block (`scan/ipports`). Built with [`Client::ports`] and [`Client::ipports`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct PortsBuilder {
    client: Client,
    params: PortsParams,
    per_address: bool,
    max_requests: usize,
}

/// The most requests an `ipports` block is split into by default: 64 (a /16 of IPv4).
pub const DEFAULT_MAX_IPPORTS_REQUESTS: usize = 64;

impl PortsBuilder {
    pub(super) fn new(client: Client, ip: IpParam, per_address: bool) -> Self {
        PortsBuilder {
            client,
            params: PortsParams {
                ip,
                from: None,
                to: None,
            },
            per_address,
            max_requests: DEFAULT_MAX_IPPORTS_REQUESTS,
        }
    }

    /// `from`: the first day (the API's default window is the last 30 days).
    pub fn from(mut self, date: Date) -> Self {
        self.params.from = Some(date);
        self
    }

    /// `to`: the last day.
    pub fn to(mut self, date: Date) -> Self {
        self.params.to = Some(date);
        self
    }

    /// For `ipports`: the most requests a block may be split into (default 64); a larger block
    /// is refused before anything is sent. Each request costs quota.
    pub fn max_requests(mut self, n: usize) -> Self {
        self.max_requests = n.max(1);
        self
    }

    /// The blocks asked for: the block itself, or for `ipports` its pieces of 1,024 addresses.
    fn blocks(&self) -> Result<Vec<IpParam>, Error> {
        check_date_range(self.params.from, self.params.to)?;
        let net = self.params.ip.net();
        let count = addresses(net);
        if !self.per_address || count <= MAX_IPPORTS_ADDRESSES {
            return Ok(vec![self.params.ip]);
        }
        let max = MAX_IPPORTS_ADDRESSES.saturating_mul(self.max_requests as u64);
        if count > max {
            return Err(RequestError::BlockTooLarge {
                addresses: count,
                max,
            }
            .into());
        }
        // 1,024 addresses: 10 host bits.
        let piece = net.max_prefix_len() - 10;
        let pieces = net
            .trunc()
            .subnets(piece)
            .map_err(|_| RequestError::Ip(net.to_string()))?;
        Ok(pieces.map(IpParam::Net).collect())
    }

    fn url(&self, ip: IpParam) -> Url {
        let path = if self.per_address {
            models::IPPORTS_PATH
        } else {
            models::PORTS_PATH
        };
        let mut url = self.client.endpoint_url(path);
        let params = PortsParams { ip, ..self.params };
        url.query_pairs_mut().extend_pairs(params.to_pairs());
        url
    }

    /// For `scan/ports`: the ports. HTTP 204 gives no ports.
    pub async fn send(self) -> Result<Ports, Error> {
        let url = self.url(self.params.ip);
        check_date_range(self.params.from, self.params.to)?;
        Ok(self
            .client
            .get_json::<Ports>(url)
            .await?
            .unwrap_or_default())
    }

    /// For `scan/ipports`: each address's ports, the answers of a split block merged in
    /// address order. HTTP 204 gives no addresses.
    pub async fn send_per_address(self) -> Result<IpPorts, Error> {
        let blocks = self.blocks()?;
        let concurrency = self.client.concurrency();
        let answers: Vec<IpPorts> =
            futures::stream::iter(blocks)
                .map(|ip| {
                    let url = self.url(ip);
                    let client = self.client.clone();
                    async move {
                        Ok::<_, Error>(client.get_json::<IpPorts>(url).await?.unwrap_or_default())
                    }
                })
                .buffered(concurrency)
                .try_collect()
                .await?;
        let mut merged = IpPorts::default();
        for a in answers {
            merged.merge(a);
        }
        Ok(merged)
    }

    /// The number of requests [`send_per_address`](Self::send_per_address) makes (each costs
    /// quota), after checking the block.
    pub fn requests(&self) -> Result<usize, Error> {
        self.blocks().map(|b| b.len())
    }
}

/// A request for what is known of an address (`ip/summary`). Built with
/// [`Client::ip_summary`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct IpSummaryBuilder {
    client: Client,
    params: IpSummaryParams,
}

impl IpSummaryBuilder {
    pub(super) fn new(client: Client, ip: IpAddr) -> Self {
        IpSummaryBuilder {
            client,
            params: IpSummaryParams { ip, restrict: None },
        }
    }

    /// `restrict`: only this section.
    pub fn restrict(mut self, restrict: Restrict) -> Self {
        self.params.restrict = Some(restrict);
        self
    }

    /// The summary; `None` when the API knows nothing of the address (HTTP 204).
    pub async fn send(self) -> Result<Option<IpSummary>, Error> {
        let mut url = self.client.endpoint_url(models::IP_SUMMARY_PATH);
        url.query_pairs_mut().extend_pairs(self.params.to_pairs());
        self.client.get_json::<IpSummary>(url).await
    }
}
