//! Reads Windows Defender Firewall through its COM API — `INetFwPolicy2` for the profiles in force and
//! each profile's state, its `Rules` collection for every rule — and the category of each connected
//! network from `INetworkListManager`, into the plain records of [`crate::firewall::windows`]. No COM
//! type leaves this module. Microsoft documents no elevation for reading the policy (only for changing
//! it); a denial would surface as a failed source with its HRESULT, never as "no firewall".
//!
//! The API, not `netsh advfirewall` text: netsh prints in the system's language. A failure of the API
//! as a whole (its service stopped, wine's partial firewallapi) becomes a failed source naming the
//! HRESULT; one rule that cannot be read is counted and the rest are still read.

use windows::Win32::Foundation::{RPC_E_CHANGED_MODE, VARIANT_BOOL};
use windows::Win32::NetworkManagement::WindowsFirewall::{
    INetFwPolicy2, INetFwRule, NET_FW_ACTION, NET_FW_PROFILE_TYPE2, NET_FW_RULE_DIRECTION, NetFwPolicy2,
};
use windows::Win32::Networking::NetworkListManager::{
    INetworkConnection, INetworkListManager, NetworkListManager,
};
use windows::Win32::System::Com::{
    CLSCTX_INPROC_SERVER, CLSCTX_LOCAL_SERVER, COINIT_MULTITHREADED, CoCreateInstance, CoInitializeEx,
    CoUninitialize, IDispatch, SAFEARRAY,
};
use windows::Win32::System::Ole::{
    IEnumVARIANT, SafeArrayGetElement, SafeArrayGetLBound, SafeArrayGetUBound,
};
use windows::Win32::System::Variant::{
    VARIANT, VT_ARRAY, VT_BSTR, VT_BYREF, VT_DISPATCH, VT_VARIANT, VariantClear,
};
use windows::core::{BSTR, Interface};

use crate::firewall::windows::{NetworkRecord, PROFILES, PolicyRecord, ProfileRecord, RuleRecord};

/// More rules than any real policy holds (a busy server has a few thousand): a bound on the walk.
const MAX_RULES: usize = 100_000;

/// COM initialised on this thread for as long as it lives, when this call did it.
pub(super) struct ComScope(bool);

impl ComScope {
    pub(super) fn enter() -> Result<Self, String> {
        // SAFETY: initialising COM for the calling thread; balanced by `CoUninitialize` in `drop`.
        let result = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) };
        if result == RPC_E_CHANGED_MODE {
            // The thread already has COM in another mode: use it as it is, and do not uninitialise it.
            return Ok(Self(false));
        }
        result.ok().map_err(|e| format!("CoInitializeEx: {}", hresult(&e)))?;
        Ok(Self(true))
    }
}

impl Drop for ComScope {
    fn drop(&mut self) {
        if self.0 {
            // SAFETY: balances the successful `CoInitializeEx` of `enter` on this thread.
            unsafe { CoUninitialize() };
        }
    }
}

pub(super) fn hresult(error: &windows::core::Error) -> String {
    let message = error.message();
    // The HRESULT's bits, as Windows prints them.
    #[allow(clippy::cast_sign_loss)]
    let code = error.code().0 as u32;
    if message.is_empty() {
        format!("HRESULT 0x{code:08X}")
    } else {
        format!("HRESULT 0x{code:08X} ({message})")
    }
}

/// Reads the policy, its rules and the network categories. `Err` names every call that failed, with
/// its HRESULT, when the profiles or the rules cannot be read (the firewall cannot be judged then).
/// The profiles in force and the networks' categories only refine the judgement: without them every
/// profile is a candidate, and a note says why.
pub fn read() -> Result<PolicyRecord, String> {
    let _com = ComScope::enter()?;
    // SAFETY: creating the firewall policy object by its documented class id; the interface is
    // released when dropped.
    let policy: INetFwPolicy2 =
        unsafe { CoCreateInstance(&NetFwPolicy2, None, CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER) }
            .map_err(|e| format!("CoCreateInstance(NetFwPolicy2): {}", hresult(&e)))?;
    let mut record = PolicyRecord::default();
    let mut failed: Vec<(String, String)> = Vec::new();
    // SAFETY: `policy` holds its own reference to the live policy object, on this thread where `_com`
    // keeps COM initialised; the property read takes no argument and returns an integer.
    match unsafe { policy.CurrentProfileTypes() } {
        Ok(mask) => record.current_profile_types = mask,
        Err(e) => record.notes.push(format!("CurrentProfileTypes: {}", hresult(&e))),
    }
    for (bit, name) in PROFILES {
        let profile = NET_FW_PROFILE_TYPE2(bit);
        let mut fail =
            |what: &str, e: &windows::core::Error| failed.push((format!("{what}({name})"), hresult(e)));
        // SAFETY: `policy` holds its own reference to the live policy object, on this thread where `_com`
        // keeps COM initialised; each is a property read that takes the profile by value and returns an
        // owned value.
        let (enabled, inbound, outbound, block_all) = unsafe {
            (
                policy.get_FirewallEnabled(profile),
                policy.get_DefaultInboundAction(profile),
                policy.get_DefaultOutboundAction(profile),
                policy.get_BlockAllInboundTraffic(profile),
            )
        };
        let enabled = enabled.map_err(|e| fail("FirewallEnabled", &e));
        let inbound = inbound.map_err(|e| fail("DefaultInboundAction", &e));
        let outbound = outbound.map_err(|e| fail("DefaultOutboundAction", &e));
        let block_all = match block_all {
            Ok(value) => truth(value),
            Err(e) => {
                // Windows' default is off; say that it was not read.
                record.notes.push(format!("BlockAllInboundTraffic({name}): {}", hresult(&e)));
                false
            }
        };
        if let (Ok(enabled), Ok(inbound), Ok(outbound)) = (enabled, inbound, outbound) {
            record.profiles.push(ProfileRecord {
                profile: bit,
                firewall_enabled: truth(enabled),
                default_inbound_action: inbound.0,
                default_outbound_action: outbound.0,
                block_all_inbound_traffic: block_all,
            });
        }
    }
    if let Err((what, why)) = read_rules(&policy, &mut record) {
        failed.push((what, why));
    }
    if !failed.is_empty() {
        return Err(crate::firewall::windows::failures(&failed, &record.notes));
    }
    match networks() {
        Ok(networks) => record.networks = networks,
        Err(why) => record.notes.push(format!("network categories not read: {why}")),
    }
    Ok(record)
}

fn truth(value: VARIANT_BOOL) -> bool {
    value.0 != 0
}

/// Every rule into `record`; `Err((call, HRESULT))` when the collection cannot be walked at all.
fn read_rules(policy: &INetFwPolicy2, record: &mut PolicyRecord) -> Result<(), (String, String)> {
    // SAFETY: `policy` is live for the call (the caller's reference), on the thread where `read` keeps
    // COM initialised; the property read returns the rule collection with its own reference.
    let rules = unsafe { policy.Rules() }.map_err(|e| ("Rules".to_owned(), hresult(&e)))?;
    // SAFETY: the collection's enumerator, as documented for `INetFwRules::_NewEnum`.
    let enumerator: IEnumVARIANT = unsafe { rules._NewEnum() }
        .and_then(|unknown| unknown.cast())
        .map_err(|e| ("Rules._NewEnum".to_owned(), hresult(&e)))?;
    while record.rules.len() + record.unreadable_rules.len() < MAX_RULES {
        let mut item = [VARIANT::default()];
        let mut fetched = 0u32;
        // SAFETY: one VARIANT slot, written by the enumerator; `fetched` says whether it was.
        let status = unsafe { enumerator.Next(&mut item, &raw mut fetched) };
        if status.is_err() {
            record.unreadable_rules.push(format!("enumeration stopped: {}", hresult(&status.into())));
            break;
        }
        if fetched == 0 {
            break;
        }
        let rule = dispatch(&item[0]).and_then(|d| d.cast::<INetFwRule>().ok());
        // SAFETY: the VARIANT the enumerator filled, cleared once (releasing its IDispatch).
        let _ = unsafe { VariantClear(&raw mut item[0]) };
        match rule.map(|r| rule_record(&r)) {
            Some(Ok(read)) => record.rules.push(read),
            Some(Err(why)) => record.unreadable_rules.push(why),
            None => record.unreadable_rules.push("an item that is not a rule".into()),
        }
    }
    Ok(())
}

/// The `IDispatch` a `VARIANT` holds, with its own reference.
fn dispatch(variant: &VARIANT) -> Option<IDispatch> {
    // SAFETY: the union is read as the member its `vt` names.
    unsafe {
        let inner = &variant.Anonymous.Anonymous;
        if inner.vt != VT_DISPATCH {
            return None;
        }
        (*inner.Anonymous.pdispVal).clone()
    }
}

/// One rule's properties, read at once; what failed is reported in the order the record needs them.
struct RuleProperties {
    name: windows::core::Result<BSTR>,
    enabled: windows::core::Result<VARIANT_BOOL>,
    interfaces: windows::core::Result<VARIANT>,
    direction: windows::core::Result<NET_FW_RULE_DIRECTION>,
    action: windows::core::Result<NET_FW_ACTION>,
    protocol: windows::core::Result<i32>,
    local_ports: windows::core::Result<BSTR>,
    remote_addresses: windows::core::Result<BSTR>,
    profiles: windows::core::Result<i32>,
    interface_types: windows::core::Result<BSTR>,
    application_name: windows::core::Result<BSTR>,
    service_name: windows::core::Result<BSTR>,
    grouping: windows::core::Result<BSTR>,
}

fn rule_record(rule: &INetFwRule) -> Result<RuleRecord, String> {
    // SAFETY: `rule` holds its own reference to a live rule object (cast from the enumerator's item),
    // on the thread where `read` keeps COM initialised; each call is a property read that takes no
    // argument and returns an owned value (a BSTR, a VARIANT the caller clears, or an integer).
    let read = unsafe {
        RuleProperties {
            name: rule.Name(),
            enabled: rule.Enabled(),
            interfaces: rule.Interfaces(),
            direction: rule.Direction(),
            action: rule.Action(),
            protocol: rule.Protocol(),
            local_ports: rule.LocalPorts(),
            remote_addresses: rule.RemoteAddresses(),
            profiles: rule.Profiles(),
            interface_types: rule.InterfaceTypes(),
            application_name: rule.ApplicationName(),
            service_name: rule.ServiceName(),
            grouping: rule.Grouping(),
        }
    };
    let name = read.name.map(|b| b.to_string()).unwrap_or_default();
    let fail = |what: &str, e: &windows::core::Error| format!("{name}: {what}: {}", hresult(e));
    let text = |value: windows::core::Result<BSTR>| value.map(|b| b.to_string()).unwrap_or_default();
    let enabled = read.enabled.map_err(|e| fail("Enabled", &e))?;
    let interfaces = read.interfaces.map(strings).unwrap_or_default();
    Ok(RuleRecord {
        direction: read.direction.map_err(|e| fail("Direction", &e))?.0,
        action: read.action.map_err(|e| fail("Action", &e))?.0,
        enabled: truth(enabled),
        protocol: read.protocol.map_err(|e| fail("Protocol", &e))?,
        local_ports: text(read.local_ports),
        remote_addresses: text(read.remote_addresses),
        profiles: read.profiles.map_err(|e| fail("Profiles", &e))?,
        interfaces,
        interface_types: text(read.interface_types),
        application_name: text(read.application_name),
        service_name: text(read.service_name),
        grouping: text(read.grouping),
        name,
    })
}

/// The strings of a VARIANT that holds an array of VARIANTs or of BSTRs (`INetFwRule::Interfaces`),
/// which it clears (the array with it). Anything else is no strings.
fn strings(mut variant: VARIANT) -> Vec<String> {
    let mut out = Vec::new();
    // SAFETY: the union is read as the member its `vt` names; the array's bounds come from the array
    // itself, and each element is copied out (and its copy cleared) one at a time.
    unsafe {
        let inner = &variant.Anonymous.Anonymous;
        let vt = inner.vt;
        // By value only: a VT_BYREF array would hold a pointer to the pointer.
        if vt.0 & VT_ARRAY.0 != 0 && vt.0 & VT_BYREF.0 == 0 && !inner.Anonymous.parray.is_null() {
            let array: *const SAFEARRAY = inner.Anonymous.parray;
            if let (Ok(low), Ok(high)) = (SafeArrayGetLBound(array, 1), SafeArrayGetUBound(array, 1)) {
                for index in low..=high.min(low.saturating_add(1024)) {
                    if vt.0 & !VT_ARRAY.0 == VT_VARIANT.0 {
                        let mut element = VARIANT::default();
                        if SafeArrayGetElement(array, &raw const index, (&raw mut element).cast()).is_ok() {
                            let element_inner = &element.Anonymous.Anonymous;
                            if element_inner.vt == VT_BSTR {
                                out.push(element_inner.Anonymous.bstrVal.to_string());
                            }
                            let _ = VariantClear(&raw mut element);
                        }
                    } else if vt.0 & !VT_ARRAY.0 == VT_BSTR.0 {
                        let mut element = BSTR::new();
                        if SafeArrayGetElement(array, &raw const index, (&raw mut element).cast()).is_ok() {
                            out.push(element.to_string());
                        }
                    }
                }
            }
        }
        let _ = VariantClear(&raw mut variant);
    }
    out
}

/// Each connected network's adapter and category (`INetworkListManager::GetNetworkConnections`).
fn networks() -> Result<Vec<NetworkRecord>, String> {
    // SAFETY: creating the network list manager by its documented class id.
    let manager: INetworkListManager =
        unsafe { CoCreateInstance(&NetworkListManager, None, CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER) }
            .map_err(|e| format!("CoCreateInstance(NetworkListManager): {}", hresult(&e)))?;
    // SAFETY: `manager` holds its own reference to the object just created, on the thread where `read`
    // keeps COM initialised; the call takes no argument and returns an enumerator with its own reference.
    let connections = unsafe { manager.GetNetworkConnections() }.map_err(|e| hresult(&e))?;
    let mut out = Vec::new();
    for _ in 0..1024 {
        let mut slot: [Option<INetworkConnection>; 1] = [None];
        let mut fetched = 0u32;
        // SAFETY: one slot, written by the enumerator; `fetched` says whether it was.
        if unsafe { connections.Next(&mut slot, Some(&raw mut fetched)) }.is_err() || fetched == 0 {
            break;
        }
        let Some(connection) = slot[0].take() else { break };
        // SAFETY: `connection` holds its own reference to the live connection the enumerator handed
        // over (and `GetNetwork` returns one to its network), on the thread where `read` keeps COM
        // initialised; both calls take no argument and return owned values.
        let (adapter, category) =
            unsafe { (connection.GetAdapterId(), connection.GetNetwork().and_then(|n| n.GetCategory())) };
        if let (Ok(adapter), Ok(category)) = (adapter, category) {
            out.push(NetworkRecord { adapter_id: format!("{{{adapter:?}}}"), category: category.0 });
        }
    }
    Ok(out)
}
