//! `mcready interfaces`: the host's adapters as the PnP question sees them — kind, flags, addresses,
//! metrics, default routes, and the interface the OS sends the group's traffic by.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::text::{CAUTION, Cell, DIM, EMPHASIS, GOOD, HEADING, Table, paint, write_notes};
use super::{Document, Envelope, markdown};
use crate::facts::{GatherNote, GroupRoute, HostFacts, Interface, IpNet, LookupMethod, Route, group_label};

/// The `mcready.interfaces/v1` document.
#[derive(Debug, Serialize)]
pub struct InterfacesDocument {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub group: Ipv4Addr,
    pub interfaces: Vec<Interface>,
    /// Default routes, lowest metric first (IPv4 before IPv6).
    pub default_routes: Vec<Route>,
    /// Routes for IPv4 multicast (`224.0.0.0/4` and narrower), most specific first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub multicast_routes: Vec<Route>,
    pub group_route: Option<GroupRoute>,
    pub routes: Vec<Route>,
    pub notes: Vec<GatherNote>,
    #[serde(skip)]
    pub verbose: bool,
    #[serde(skip)]
    pub quiet: bool,
}

impl InterfacesDocument {
    /// Builds the document from gathered facts, keeping only `only` when an interface is named.
    #[must_use]
    pub fn new(
        envelope: Envelope,
        group: Ipv4Addr,
        facts: HostFacts,
        only: Option<&str>,
        verbose: bool,
    ) -> Self {
        let default_routes = facts.default_routes().into_iter().cloned().collect();
        let multicast_routes = facts.multicast_routes().into_iter().cloned().collect();
        let keep = |name: &str| only.is_none_or(|wanted| wanted == name);
        Self {
            envelope,
            group,
            interfaces: facts.interfaces.into_iter().filter(|i| keep(&i.name)).collect(),
            default_routes,
            multicast_routes,
            group_route: facts.group_route,
            routes: facts.routes,
            notes: facts.notes,
            verbose,
            quiet: false,
        }
    }

    fn flags(interface: &Interface) -> String {
        let f = interface.flags;
        let names =
            [(f.up, "UP"), (f.running, "RUNNING"), (f.multicast, "MULTICAST"), (f.loopback, "LOOPBACK")];
        let set: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect();
        if set.is_empty() { "DOWN".into() } else { set.join(",") }
    }

    fn kind(interface: &Interface) -> String {
        match &interface.kind_detail {
            Some(detail) if detail != interface.kind.as_str() => {
                format!("{} ({detail})", interface.kind.as_str())
            }
            _ => interface.kind.as_str().to_owned(),
        }
    }

    /// The addresses worth reading: IPv4 and global IPv6; link-local IPv6 only with `-v`.
    fn addresses(&self, interface: &Interface) -> Vec<String> {
        let link_local = |net: &&IpNet| matches!(net.addr, IpAddr::V6(v6) if v6.is_unicast_link_local());
        interface
            .ipv4
            .iter()
            .chain(interface.ipv6.iter().filter(|net| self.verbose || !link_local(net)))
            .map(ToString::to_string)
            .collect()
    }

    /// The interface metric, marked `auto` where Windows computes it from the link speed.
    fn metric(interface: &Interface) -> String {
        match (interface.metric, interface.metric_automatic) {
            (Some(metric), Some(true)) => format!("{metric} auto"),
            (Some(metric), _) => metric.to_string(),
            (None, _) => "-".into(),
        }
    }

    fn route_line(route: &Route) -> String {
        let mut line = route.destination.to_string();
        if let Some(gateway) = route.gateway {
            let _ = write!(line, " via {gateway}");
        }
        if let Some(interface) = &route.interface {
            let _ = write!(line, " dev {interface}");
        }
        let _ = write!(line, " metric {}", route.metric);
        // Windows ranks by route plus interface metric: show the sum `route print` shows.
        if let Some(effective) = route.effective_metric {
            let _ = write!(line, " (effective {effective})");
        }
        if route.table != "main" {
            let _ = write!(line, " table {}", route.table);
        }
        line
    }

    fn group_label(&self) -> String {
        group_label(IpAddr::V4(self.group))
    }

    /// One sentence on where the group's traffic leaves, for text and Markdown alike.
    fn group_route_sentence(&self) -> Option<(bool, String)> {
        let route = self.group_route.as_ref()?;
        let how = match route.method {
            LookupMethod::KernelLookup => "the kernel's route lookup",
            LookupMethod::UdpConnect => "a connected UDP socket",
        };
        Some(match (&route.interface, route.source) {
            (Some(interface), source) => {
                let source = source.map(|s| format!(", source {s}")).unwrap_or_default();
                (
                    true,
                    format!(
                        "{} leaves by {interface}{source} ({how}); a PBX joining with INADDR_ANY lands there.",
                        self.group_label()
                    ),
                )
            }
            (None, _) => (
                false,
                format!(
                    "The OS has no route for {}: {}. A PBX joining with INADDR_ANY fails (ENODEV); add a route for 224.0.0.0/4 on the interface facing the phones.",
                    self.group_label(),
                    route.error.as_deref().unwrap_or("no route")
                ),
            ),
        })
    }

    fn shown_routes(&self) -> Vec<&Route> {
        if self.verbose {
            self.routes.iter().collect()
        } else {
            self.multicast_routes.iter().chain(&self.default_routes).collect()
        }
    }
}

impl Document for InterfacesDocument {
    const SCHEMA: &'static str = "mcready.interfaces/v1";

    fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        if self.quiet {
            if let Some((_, sentence)) = self.group_route_sentence() {
                out.push_str(&sentence);
                out.push('\n');
            }
            return out;
        }
        let mut table = Table::new(vec!["IDX", "NAME", "KIND", "FLAGS", "MTU", "METRIC", "MAC", "ADDRESSES"]);
        for interface in &self.interfaces {
            let up = interface.flags.up && interface.flags.running;
            table.row(vec![
                interface.index.to_string().into(),
                Cell::styled(interface.name.clone(), EMPHASIS),
                Self::kind(interface).into(),
                Cell::styled(Self::flags(interface), if up { GOOD } else { DIM }),
                interface.mtu.map_or_else(|| "-".into(), |m| m.to_string()).into(),
                Self::metric(interface).into(),
                interface.mac.clone().unwrap_or_else(|| "-".into()).into(),
                self.addresses(interface).join(" ").into(),
            ]);
        }
        table.write(&mut out, 0);

        let routes = self.shown_routes();
        let title = if self.verbose {
            "Routes (all tables)"
        } else {
            "Default and multicast routes (the most specific, then the lowest metric, wins)"
        };
        let _ = writeln!(out, "\n{}", paint(HEADING, title));
        if routes.is_empty() {
            let _ = writeln!(out, "  {}", paint(CAUTION, "none"));
        }
        for route in routes {
            let _ = writeln!(out, "  {}", Self::route_line(route));
        }
        if let Some((found, sentence)) = self.group_route_sentence() {
            let _ =
                writeln!(out, "\n{} {sentence}", if found { paint(GOOD, "→") } else { paint(CAUTION, "!") });
        }
        write_notes(&mut out, &self.notes);
        out
    }

    fn markdown_body(&self) -> String {
        let mut out = String::new();
        let rows: Vec<Vec<String>> = self
            .interfaces
            .iter()
            .map(|i| {
                vec![
                    i.index.to_string(),
                    i.name.clone(),
                    Self::kind(i),
                    Self::flags(i),
                    i.mtu.map_or_else(|| "-".into(), |m| m.to_string()),
                    Self::metric(i),
                    i.mac.clone().unwrap_or_else(|| "-".into()),
                    self.addresses(i).join(" "),
                ]
            })
            .collect();
        out.push_str(&markdown::table(
            &["idx", "name", "kind", "flags", "mtu", "metric", "mac", "addresses"],
            &rows,
        ));
        out.push_str(
            "\n**Default and multicast routes** (the most specific, then the lowest metric, wins):\n\n",
        );
        let routes = self.shown_routes();
        if routes.is_empty() {
            out.push_str("- none\n");
        }
        for route in routes {
            let _ = writeln!(out, "- `{}`", Self::route_line(route));
        }
        if let Some((_, sentence)) = self.group_route_sentence() {
            let _ = writeln!(out, "\n{}", markdown::escape(&sentence));
        }
        for note in &self.notes {
            let _ = writeln!(
                out,
                "\n_note: {}: {}_",
                markdown::escape(&note.source),
                markdown::escape(&note.message)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::windows_wrong_nic;

    #[test]
    fn windows_metrics_show_auto_and_the_effective_sum() {
        let mut facts = windows_wrong_nic().facts;
        crate::platform::iphelper::fill_effective_metrics(&mut facts.routes, &facts.interfaces);
        assert_eq!(InterfacesDocument::metric(&facts.interfaces[1]), "25 auto");
        facts.interfaces[1].metric_automatic = Some(false);
        assert_eq!(InterfacesDocument::metric(&facts.interfaces[1]), "25");
        let wifi_group_route =
            facts.routes.iter().find(|r| r.interface_index == Some(17) && r.destination.prefix_len == 4);
        assert_eq!(
            InterfacesDocument::route_line(wifi_group_route.unwrap()),
            "224.0.0.0/4 dev Wi-Fi metric 256 (effective 271)"
        );
    }
}
