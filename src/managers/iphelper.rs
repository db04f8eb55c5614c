//! Windows' IP Helper, through PowerShell's `NetTCPIP` and `NetAdapter` cmdlets: routes in the
//! persistent store (applied at the next boot; the active store applies now), interface metrics, and
//! adapters disabled. An adapter is named by its PowerShell-quoted alias or its index. The route and
//! the metric also carry the typed operation `mcready fix --apply` runs in the active store through IP
//! Helper itself; their PowerShell command is the persistent store's form, run once the run is
//! confirmed.

use crate::fix::{Manager, Native, Os, Step};
use crate::quote::powershell;

/// A persistent route for `destination` on interface `index` with `metric`; undone by removing it.
#[must_use]
pub fn new_route(destination: &str, index: u32, metric: u32) -> Step {
    Step::new(
        Os::Windows,
        Manager::IpHelper,
        format!("route {destination} out of interface index {index} with metric {metric}"),
        new_route_command(destination, &index.to_string(), metric),
    )
    .persistent()
    .undo(format!(
        "Remove-NetRoute -DestinationPrefix {destination} -InterfaceIndex {index} -PolicyStore PersistentStore -Confirm:$false"
    ))
    .native(Native::AddRoute { destination: destination.to_owned(), interface_index: index, metric })
}

/// Set interface `index`'s IPv4 metric to `metric`: it moves every route of the adapter, the default
/// route's included, so disruptive. Its undo gives back the metric read before it
/// ([`restore_metric_command`]), so the step carries none of its own.
#[must_use]
pub fn set_interface_metric(index: u32, metric: u32) -> Step {
    Step::new(
        Os::Windows,
        Manager::IpHelper,
        format!("interface index {index}'s IPv4 metric set to {metric}"),
        set_interface_metric_command(&index.to_string(), &metric.to_string()),
    )
    .persistent()
    .disruptive()
    .native(Native::SetInterfaceMetric { interface_index: index, metric: Some(metric) })
}

/// The command that gives interface `index` back the metric `metric` (`None`: its automatic metric).
#[must_use]
pub fn restore_metric_command(index: u32, metric: Option<u32>) -> String {
    match metric {
        Some(metric) => set_interface_metric_command(&index.to_string(), &metric.to_string()),
        None => {
            format!("Set-NetIPInterface -InterfaceIndex {index} -AddressFamily IPv4 -AutomaticMetric Enabled")
        }
    }
}

/// [`new_route`]'s command, for an index that may be a placeholder (`<index>`).
#[must_use]
pub fn new_route_command(destination: &str, index: &str, metric: u32) -> String {
    format!(
        "New-NetRoute -DestinationPrefix {destination} -InterfaceIndex {index} -RouteMetric {metric} -PolicyStore PersistentStore"
    )
}

/// The command that sets an interface's IPv4 metric (its automatic metric turns off); `metric` may be
/// a placeholder.
#[must_use]
pub fn set_interface_metric_command(index: &str, metric: &str) -> String {
    format!("Set-NetIPInterface -InterfaceIndex {index} -AddressFamily IPv4 -InterfaceMetric {metric}")
}

/// The command that sets the metric of an interface's default route (the "gateway metric").
#[must_use]
pub fn set_gateway_metric_command(index: &str) -> String {
    format!("Set-NetRoute -InterfaceIndex {index} -DestinationPrefix 0.0.0.0/0 -RouteMetric <value>")
}

/// Disable an adapter: it moves whatever else used it, so disruptive.
#[must_use]
pub fn disable_adapter(interface: &str) -> Step {
    let name = powershell(interface);
    Step::new(
        Os::Windows,
        Manager::IpHelper,
        format!("disable {interface}"),
        disable_adapter_command(interface),
    )
    .persistent()
    .undo(format!("Enable-NetAdapter -Name {name}"))
    .disruptive()
}

#[must_use]
pub fn disable_adapter_command(interface: &str) -> String {
    format!("Disable-NetAdapter -Name {} -Confirm:$false", powershell(interface))
}
