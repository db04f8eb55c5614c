//! The changes `mcready fix --apply` makes on Windows, each a typed operation ([`Native`]) run through
//! the OS's own API and read back through it: the route for the multicast range and the interface
//! metric through IP Helper in the active store (`CreateIpForwardEntry2`, `SetIpForwardEntry2`,
//! `DeleteIpForwardEntry2`, `GetIpInterfaceEntry`, `SetIpInterfaceEntry`), Windows Defender Firewall
//! rules through `INetFwPolicy2` (`INetFwRules::Add`, `Remove`, `Item`), the PBX's service through the
//! service manager (`ControlService` stop, `StartService`); whether this process runs elevated, and
//! whether another one still runs.
//!
//! IP Helper's write calls are looked up at run time, as `GetIpInterfaceEntry` is for the gather:
//! wine exports none of them, and a program that imports a missing export does not start at all.

use std::io;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use windows::Win32::Foundation::VARIANT_BOOL;
use windows::Win32::NetworkManagement::WindowsFirewall::{
    INetFwPolicy2, INetFwRule, NET_FW_ACTION_ALLOW, NET_FW_PROFILE2_ALL, NET_FW_RULE_DIR_IN,
    NET_FW_RULE_DIR_OUT, NetFwPolicy2, NetFwRule,
};
use windows::Win32::System::Com::{CLSCTX_INPROC_SERVER, CLSCTX_LOCAL_SERVER, CoCreateInstance};
use windows::Win32::System::Ole::{SafeArrayCreateVector, SafeArrayPutElement};
use windows::Win32::System::Variant::{VARIANT, VT_ARRAY, VT_BSTR, VT_VARIANT, VariantClear};
use windows::core::BSTR;
use windows_sys::Win32::Foundation::{CloseHandle, ERROR_OBJECT_ALREADY_EXISTS, NO_ERROR, WIN32_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{MIB_IPFORWARD_ROW2, MIB_IPINTERFACE_ROW};
use windows_sys::Win32::Networking::WinSock::{AF_INET, MIB_IPPROTO_NETMGMT};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::Services::{
    CloseServiceHandle, ControlService, OpenSCManagerW, OpenServiceW, QueryServiceStatus, SC_HANDLE,
    SC_MANAGER_CONNECT, SERVICE_CONTROL_STOP, SERVICE_QUERY_STATUS, SERVICE_RUNNING, SERVICE_START,
    SERVICE_STATUS, SERVICE_STOP, SERVICE_STOPPED, StartServiceW,
};

use super::ffi::to_wide;
use super::firewall::{ComScope, hresult};
use super::routes::{IpInterfaceApi, forward_table};
use crate::fix::{FirewallRule, Native, Reading};

/// How long a service is given to stop, then to run again.
const SERVICE_WAIT: Duration = Duration::from_secs(60);

/// Runs `op`.
pub fn run(op: &Native) -> Result<(), String> {
    match op {
        Native::AddRoute { destination, interface_index, metric } => {
            route(RouteCall::Add(*metric), destination, *interface_index)
        }
        Native::DeleteRoute { destination, interface_index } => {
            route(RouteCall::Delete, destination, *interface_index)
        }
        Native::SetInterfaceMetric { interface_index, metric } => set_metric(*interface_index, *metric),
        Native::AddFirewallRule(rule) => add_rule(rule),
        Native::RemoveFirewallRule { name } => remove_rule(name),
        Native::RestartService { name } => restart(name),
    }
}

/// Reads the state `op` changes.
pub fn read(op: &Native) -> Result<Reading, String> {
    match op {
        Native::AddRoute { destination, interface_index, .. }
        | Native::DeleteRoute { destination, interface_index } => {
            let routes = forward_table(&std::collections::HashMap::new())
                .map_err(|e| format!("GetIpForwardTable2: {e}"))?;
            let metric = routes
                .iter()
                .filter(|r| r.interface_index == Some(*interface_index))
                .find(|r| {
                    r.destination.to_string() == *destination && r.gateway.is_none_or(|g| g.is_unspecified())
                })
                .map(|r| r.metric);
            Ok(Reading::Route { metric })
        }
        Native::SetInterfaceMetric { interface_index, .. } => {
            let api = IpInterfaceApi::load().ok_or("this system's iphlpapi has no GetIpInterfaceEntry")?;
            let (metric, automatic) =
                api.ipv4_metric(*interface_index).map_err(|e| format!("GetIpInterfaceEntry: {e}"))?;
            Ok(Reading::InterfaceMetric { metric, automatic })
        }
        Native::AddFirewallRule(FirewallRule { name, .. }) | Native::RemoveFirewallRule { name } => {
            Ok(Reading::FirewallRule { present: rule_present(name)? })
        }
        Native::RestartService { .. } => Ok(Reading::Nothing),
    }
}

/// Whether this process runs elevated (its token's `TokenElevation`): what Windows asks of every
/// change here. A token that cannot be read counts as not elevated.
#[must_use]
pub fn elevated() -> bool {
    super::system::elevated() == Some(true)
}

fn win32(call: &str, code: WIN32_ERROR) -> String {
    format!("{call}: {}", io::Error::from_raw_os_error(i32::try_from(code).unwrap_or(i32::MAX)))
}

/// An IP Helper export, or why it is missing.
fn export(name: &std::ffi::CStr) -> Result<unsafe extern "system" fn() -> isize, String> {
    let module_name = to_wide("iphlpapi.dll");
    // SAFETY: a NUL-terminated name; iphlpapi is loaded, since this program imports from it.
    let module = unsafe { GetModuleHandleW(module_name.as_ptr()) };
    // SAFETY: a module handle (null is refused by the call) and a NUL-terminated export name.
    let found =
        (!module.is_null()).then(|| unsafe { GetProcAddress(module, name.as_ptr().cast()) }).flatten();
    found.ok_or_else(|| format!("this system's iphlpapi has no {}", name.to_string_lossy()))
}

type RowFn = unsafe extern "system" fn(*const MIB_IPFORWARD_ROW2) -> WIN32_ERROR;
type InterfaceFn = unsafe extern "system" fn(*mut MIB_IPINTERFACE_ROW) -> WIN32_ERROR;

#[derive(Clone, Copy)]
enum RouteCall {
    /// Create the route at this metric, or set the metric of the one there.
    Add(u32),
    Delete,
}

/// `destination` (`A.B.C.D/N`) on-link on interface `index`, as `MIB_IPFORWARD_ROW2` wants it.
fn route_row(destination: &str, index: u32) -> Result<MIB_IPFORWARD_ROW2, String> {
    let bad = || format!("{destination}: not an IPv4 prefix");
    let (address, length) = destination.split_once('/').ok_or_else(bad)?;
    let address: Ipv4Addr = address.parse().map_err(|_| bad())?;
    let length: u8 = length.parse().ok().filter(|l| *l <= 32).ok_or_else(bad)?;
    // Zeroed is InitializeIpForwardEntry's state for every member set below; that call itself is
    // missing where the writes are (wine), and the members it sets are all given here.
    let mut row = MIB_IPFORWARD_ROW2 {
        InterfaceIndex: index,
        SitePrefixLength: 0,
        ValidLifetime: u32::MAX,
        PreferredLifetime: u32::MAX,
        Protocol: MIB_IPPROTO_NETMGMT,
        Loopback: true,
        AutoconfigureAddress: true,
        Publish: false,
        Immortal: true,
        ..MIB_IPFORWARD_ROW2::default()
    };
    row.DestinationPrefix.PrefixLength = length;
    row.DestinationPrefix.Prefix.Ipv4.sin_family = AF_INET;
    row.DestinationPrefix.Prefix.Ipv4.sin_addr.S_un.S_addr = u32::from_ne_bytes(address.octets());
    // Next hop 0.0.0.0: on-link, as the automatic multicast route is.
    row.NextHop.Ipv4.sin_family = AF_INET;
    Ok(row)
}

fn route(call: RouteCall, destination: &str, index: u32) -> Result<(), String> {
    let mut row = route_row(destination, index)?;
    let named = |name: &std::ffi::CStr| -> Result<RowFn, String> {
        // SAFETY: Microsoft documents these exports as taking one `const MIB_IPFORWARD_ROW2 *`.
        export(name).map(|f| unsafe { std::mem::transmute::<unsafe extern "system" fn() -> isize, RowFn>(f) })
    };
    match call {
        RouteCall::Add(metric) => {
            row.Metric = metric;
            let create = named(c"CreateIpForwardEntry2")?;
            // SAFETY: a fully initialised row, read by the call.
            let rc = unsafe { create(&raw const row) };
            if rc == NO_ERROR {
                return Ok(());
            }
            if rc != ERROR_OBJECT_ALREADY_EXISTS {
                return Err(win32("CreateIpForwardEntry2", rc));
            }
            // The route is there at another metric (Windows' own on-link route): its metric is set.
            let set = named(c"SetIpForwardEntry2")?;
            // SAFETY: as above.
            let rc = unsafe { set(&raw const row) };
            if rc == NO_ERROR { Ok(()) } else { Err(win32("SetIpForwardEntry2", rc)) }
        }
        RouteCall::Delete => {
            let delete = named(c"DeleteIpForwardEntry2")?;
            // SAFETY: as above.
            let rc = unsafe { delete(&raw const row) };
            if rc == NO_ERROR { Ok(()) } else { Err(win32("DeleteIpForwardEntry2", rc)) }
        }
    }
}

/// Sets interface `index`'s IPv4 metric, or gives it back its automatic one: the row read first, so
/// that every other setting is written back as it was.
fn set_metric(index: u32, metric: Option<u32>) -> Result<(), String> {
    let get = export(c"GetIpInterfaceEntry")?;
    let set = export(c"SetIpInterfaceEntry")?;
    // SAFETY: Microsoft documents both exports as taking one `MIB_IPINTERFACE_ROW *`.
    let (get, set) = unsafe {
        (
            std::mem::transmute::<unsafe extern "system" fn() -> isize, InterfaceFn>(get),
            std::mem::transmute::<unsafe extern "system" fn() -> isize, InterfaceFn>(set),
        )
    };
    // SAFETY: plain data; the family and index are what the read needs.
    let mut row: MIB_IPINTERFACE_ROW = unsafe { std::mem::zeroed() };
    row.Family = AF_INET;
    row.InterfaceIndex = index;
    // SAFETY: a row with its family and index set, filled by the call.
    let rc = unsafe { get(&raw mut row) };
    if rc != NO_ERROR {
        return Err(win32("GetIpInterfaceEntry", rc));
    }
    row.UseAutomaticMetric = metric.is_none();
    row.Metric = metric.unwrap_or(0);
    // SetIpInterfaceEntry refuses an IPv4 row whose SitePrefixLength is not 0 (Microsoft's page).
    row.SitePrefixLength = 0;
    // SAFETY: the row just read, changed only in the members above.
    let rc = unsafe { set(&raw mut row) };
    if rc == NO_ERROR { Ok(()) } else { Err(win32("SetIpInterfaceEntry", rc)) }
}

fn policy() -> Result<INetFwPolicy2, String> {
    // SAFETY: creating the firewall policy object by its documented class id; released when dropped.
    unsafe { CoCreateInstance(&NetFwPolicy2, None, CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER) }
        .map_err(|e| format!("CoCreateInstance(NetFwPolicy2): {}", hresult(&e)))
}

/// Whether a rule of this name exists (`INetFwRules::Item` fails for a name it does not hold).
fn rule_present(name: &str) -> Result<bool, String> {
    let _com = ComScope::enter()?;
    // SAFETY: the collection of the live policy object, on this thread where `_com` keeps COM alive.
    let rules = unsafe { policy()?.Rules() }.map_err(|e| format!("Rules: {}", hresult(&e)))?;
    // SAFETY: as above; the name is an owned BSTR.
    Ok(unsafe { rules.Item(&BSTR::from(name)) }.is_ok())
}

/// Adds an allow rule in every profile (so that no network's category matters or changes).
fn add_rule(rule: &FirewallRule) -> Result<(), String> {
    let _com = ComScope::enter()?;
    let policy = policy()?;
    // SAFETY: creating a rule object by its documented class id; released when dropped.
    let new: INetFwRule = unsafe { CoCreateInstance(&NetFwRule, None, CLSCTX_INPROC_SERVER) }
        .map_err(|e| format!("CoCreateInstance(NetFwRule): {}", hresult(&e)))?;
    let text = |value: &str| BSTR::from(value);
    // SAFETY: property writes on the live rule object, each taking owned values or borrowed BSTRs
    // that outlive the call; the protocol goes before the ports, as the firewall requires.
    unsafe {
        new.SetName(&text(&rule.name)).map_err(fail("Name"))?;
        new.SetDescription(&text("added by mcready fix; mcready fix --undo removes it"))
            .map_err(fail("Description"))?;
        new.SetProtocol(i32::from(rule.protocol)).map_err(fail("Protocol"))?;
        if let Some(port) = rule.local_port {
            new.SetLocalPorts(&text(&port.to_string())).map_err(fail("LocalPorts"))?;
        }
        if let Some(port) = rule.remote_port {
            new.SetRemotePorts(&text(&port.to_string())).map_err(fail("RemotePorts"))?;
        }
        new.SetRemoteAddresses(&text(&rule.remote_addresses)).map_err(fail("RemoteAddresses"))?;
        new.SetDirection(if rule.inbound { NET_FW_RULE_DIR_IN } else { NET_FW_RULE_DIR_OUT })
            .map_err(fail("Direction"))?;
        if let Some(program) = &rule.program {
            new.SetApplicationName(&text(program)).map_err(fail("ApplicationName"))?;
        }
        if let Some(alias) = &rule.interface {
            let mut interfaces = aliases(alias)?;
            let set = new.SetInterfaces(&interfaces).map_err(fail("Interfaces"));
            let _ = VariantClear(&raw mut interfaces);
            set?;
        }
        new.SetProfiles(NET_FW_PROFILE2_ALL.0).map_err(fail("Profiles"))?;
        new.SetAction(NET_FW_ACTION_ALLOW).map_err(fail("Action"))?;
        new.SetEnabled(VARIANT_BOOL(-1)).map_err(fail("Enabled"))?;
        let rules = policy.Rules().map_err(|e| format!("Rules: {}", hresult(&e)))?;
        rules.Add(&new).map_err(|e| format!("INetFwRules.Add: {}", hresult(&e)))
    }
}

/// An error of one property write of a new rule.
fn fail(what: &'static str) -> impl Fn(windows::core::Error) -> String {
    move |e| format!("INetFwRule.{what}: {}", hresult(&e))
}

/// One adapter alias as `INetFwRule::Interfaces` takes it: a SAFEARRAY of VARIANTs holding a BSTR.
/// The caller clears the VARIANT (which frees the array).
fn aliases(alias: &str) -> Result<VARIANT, String> {
    // SAFETY: a one-element vector of VARIANTs, owned by the VARIANT returned.
    let array = unsafe { SafeArrayCreateVector(VT_VARIANT, 0, 1) };
    if array.is_null() {
        return Err("SafeArrayCreateVector: out of memory".into());
    }
    let mut element = VARIANT::default();
    let mut variant = VARIANT::default();
    // SAFETY: the union written as the members its `vt` names; the BSTR moves into the element, which
    // SafeArrayPutElement copies, and is then cleared.
    unsafe {
        let inner = &mut *element.Anonymous.Anonymous;
        inner.vt = VT_BSTR;
        inner.Anonymous.bstrVal = std::mem::ManuallyDrop::new(BSTR::from(alias));
        let put = SafeArrayPutElement(array, &0, (&raw const element).cast());
        let _ = VariantClear(&raw mut element);
        put.map_err(|e| format!("SafeArrayPutElement: {}", hresult(&e)))?;
        let outer = &mut *variant.Anonymous.Anonymous;
        outer.vt = windows::Win32::System::Variant::VARENUM(VT_ARRAY.0 | VT_VARIANT.0);
        outer.Anonymous.parray = array;
    }
    Ok(variant)
}

fn remove_rule(name: &str) -> Result<(), String> {
    let _com = ComScope::enter()?;
    // SAFETY: the collection of the live policy object; the name is an owned BSTR.
    unsafe {
        let rules = policy()?.Rules().map_err(|e| format!("Rules: {}", hresult(&e)))?;
        rules.Remove(&BSTR::from(name)).map_err(|e| format!("INetFwRules.Remove: {}", hresult(&e)))
    }
}

/// A service handle, closed when dropped.
struct Service(SC_HANDLE);

impl Drop for Service {
    fn drop(&mut self) {
        // SAFETY: a handle OpenSCManagerW or OpenServiceW returned, closed once.
        unsafe { CloseServiceHandle(self.0) };
    }
}

fn last_error(call: &str) -> String {
    format!("{call}: {}", io::Error::last_os_error())
}

fn state(service: &Service) -> Result<u32, String> {
    // SAFETY: plain data, filled by the call.
    let mut status: SERVICE_STATUS = unsafe { std::mem::zeroed() };
    // SAFETY: an open service handle with SERVICE_QUERY_STATUS and a writable status.
    if unsafe { QueryServiceStatus(service.0, &raw mut status) } == 0 {
        return Err(last_error("QueryServiceStatus"));
    }
    Ok(status.dwCurrentState)
}

/// Waits until the service reaches `wanted`.
fn wait_for(service: &Service, wanted: u32) -> Result<(), String> {
    let start = Instant::now();
    while state(service)? != wanted {
        if start.elapsed() > SERVICE_WAIT {
            return Err(format!("the service did not reach state {wanted} in {} s", SERVICE_WAIT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(())
}

/// Stops the service (when it runs) and starts it again, waiting for each.
fn restart(name: &str) -> Result<(), String> {
    // SAFETY: the local service manager's default database, connect access only.
    let manager = unsafe { OpenSCManagerW(std::ptr::null(), std::ptr::null(), SC_MANAGER_CONNECT) };
    if manager.is_null() {
        return Err(last_error("OpenSCManagerW"));
    }
    let manager = Service(manager);
    let wide = to_wide(name);
    // SAFETY: an open manager handle and a NUL-terminated service name.
    let handle = unsafe {
        OpenServiceW(manager.0, wide.as_ptr(), SERVICE_STOP | SERVICE_START | SERVICE_QUERY_STATUS)
    };
    if handle.is_null() {
        return Err(last_error(&format!("OpenServiceW({name})")));
    }
    let service = Service(handle);
    if state(&service)? != SERVICE_STOPPED {
        // SAFETY: plain data, filled by the call.
        let mut status: SERVICE_STATUS = unsafe { std::mem::zeroed() };
        // SAFETY: an open handle with SERVICE_STOP and a writable status.
        if unsafe { ControlService(service.0, SERVICE_CONTROL_STOP, &raw mut status) } == 0 {
            return Err(last_error("ControlService(stop)"));
        }
        wait_for(&service, SERVICE_STOPPED)?;
    }
    // SAFETY: an open handle with SERVICE_START, no arguments.
    if unsafe { StartServiceW(service.0, 0, std::ptr::null()) } == 0 {
        return Err(last_error("StartServiceW"));
    }
    wait_for(&service, SERVICE_RUNNING)
}

/// Whether process `pid` runs: it can be opened and has no exit code yet. A process this one may not
/// open (another user's, access denied) is said alive: the safe side for a lock and a revert.
#[must_use]
pub fn alive(pid: u32) -> bool {
    use windows_sys::Win32::Foundation::{ERROR_ACCESS_DENIED, GetLastError, STILL_ACTIVE};
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    // SAFETY: opening a process by id for a query only; the handle is closed below.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        // SAFETY: reads this thread's last error, set by OpenProcess.
        return unsafe { GetLastError() } == ERROR_ACCESS_DENIED;
    }
    let mut code = 0u32;
    // SAFETY: an open process handle and a writable exit code.
    let read = unsafe { GetExitCodeProcess(process, &raw mut code) };
    // SAFETY: the handle opened above, closed once.
    unsafe { CloseHandle(process) };
    read == 0 || code == u32::try_from(STILL_ACTIVE).unwrap_or(259)
}
