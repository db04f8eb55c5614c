#!/usr/bin/env python3
"""Writes the rulesets the firewall benchmark and tests load, on stdout.

  gen-firewall-ruleset.py kube-proxy [SERVICES]   iptables-restore text, kube-proxy-shaped (default 500
                                                  services: about 4,000 rules)
  gen-firewall-ruleset.py kube-proxy-nft [SERVICES]
                                                  nft -f text, the same shape in kube-proxy's nftables
                                                  mode (table ip kube-proxy; default 570 services:
                                                  about 4,000 rules)
  gen-firewall-ruleset.py nested [DEPTH] [JUMPS]  nft -f text: DEPTH chains, each jumping JUMPS times to
                                                  the next (default 14 x 4), a drop of udp/5060 at the end

The kube-proxy shape follows kube-proxy's iptables mode (pkg/proxy/iptables/proxier.go in Kubernetes, as
`iptables-save` on a node shows it): per service a KUBE-SERVICES match on its cluster IP and port, a
KUBE-SVC-* chain that masquerades off-cluster sources and spreads over endpoints with `-m statistic`, and a
KUBE-SEP-* chain per endpoint that DNATs; in filter, INPUT jumps to KUBE-PROXY-FIREWALL, KUBE-NODEPORTS,
KUBE-EXTERNAL-SERVICES and KUBE-FIREWALL (the localnet drop). The addresses are made up (10.96.0.0/12
services, 10.244.0.0/16 pods), as a cluster would have them. Nothing here matches UDP 5060 to 224.0.1.75:
the judge must walk it all and find nothing.
"""
import hashlib
import sys


def chain_hash(kind, text):
    digest = hashlib.sha256(text.encode()).hexdigest().upper()
    return f"KUBE-{kind}-{digest[:16]}"


def kube_proxy(services):
    nat, nat_chains, flt = [], [], []
    for i in range(services):
        name = f"default/svc-{i}:http"
        cluster_ip = f"10.96.{i // 250}.{i % 250 + 1}"
        svc = chain_hash("SVC", name)
        nat_chains.append(svc)
        nat.append(f'-A KUBE-SERVICES -d {cluster_ip}/32 -p tcp -m comment --comment "{name} cluster IP" -m tcp --dport 80 -j {svc}')
        nat.append(f'-A {svc} ! -s 10.244.0.0/16 -d {cluster_ip}/32 -p tcp -m comment --comment "{name} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ')
        endpoints = [f"10.244.{(i * 2 + e) // 250}.{(i * 2 + e) % 250 + 2}" for e in range(2)]
        for e, endpoint in enumerate(endpoints):
            sep = chain_hash("SEP", name + endpoint)
            nat_chains.append(sep)
            if e == 0:
                nat.append(f'-A {svc} -m comment --comment "{name} -> {endpoint}:80" -m statistic --mode random --probability 0.50000000000 -j {sep}')
            else:
                nat.append(f'-A {svc} -m comment --comment "{name} -> {endpoint}:80" -j {sep}')
            nat.append(f'-A {sep} -s {endpoint}/32 -m comment --comment "{name}" -j KUBE-MARK-MASQ')
            nat.append(f'-A {sep} -p tcp -m comment --comment "{name}" -m tcp -j DNAT --to-destination {endpoint}:80')
        if i % 10 == 0:
            flt.append(f'-A KUBE-EXTERNAL-SERVICES -d 203.0.113.{i % 250 + 1}/32 -p tcp -m comment --comment "{name} has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport {30000 + i} -j REJECT --reject-with icmp-port-unreachable')
    out = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]
    for chain in ["KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL", "KUBE-FORWARD", "KUBE-KUBELET-CANARY", "KUBE-NODEPORTS", "KUBE-PROXY-CANARY", "KUBE-PROXY-FIREWALL", "KUBE-SERVICES"]:
        out.append(f":{chain} - [0:0]")
    out += [
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
        "-A INPUT -j KUBE-FIREWALL",
        '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
        '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        "-A OUTPUT -j KUBE-FIREWALL",
        '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    ] + flt + ["COMMIT", "*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"]
    for chain in ["KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SERVICES"] + nat_chains:
        out.append(f":{chain} - [0:0]")
    out += [
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
        "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
        "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ] + nat + ['-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS', "COMMIT"]
    return "\n".join(out) + "\n"


def kube_proxy_nft(services):
    """kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go): table ip kube-proxy, a filter-input
    chain that drops localnet traffic and rejects services without endpoints, a nat-prerouting chain that
    jumps to `services`, one chain per service that spreads over its endpoints with `numgen random mod 2
    vmap`, one chain per endpoint that DNATs. Written as rules (kube-proxy itself keeps the cluster IPs in
    a verdict map); about four rules per service."""
    lines = ["table ip kube-proxy {"]
    lines += [
        "  chain filter-input {",
        "    type filter hook input priority -110; policy accept;",
        "    ct state new jump firewall-check",
        "    ct state new jump service-endpoints-check",
        "  }",
        "  chain firewall-check {",
        "    ip daddr 127.0.0.0/8 ip saddr != 127.0.0.0/8 ct status != dnat drop",
        "  }",
        "  chain service-endpoints-check {",
    ]
    for i in range(0, services, 10):
        lines.append(f"    ip daddr 203.0.113.{i % 250 + 1} tcp dport {30000 + i} reject with icmp host-unreachable")
    lines += ["  }", "  chain nat-prerouting {", "    type nat hook prerouting priority -100; policy accept;", "    jump services", "  }", "  chain services {"]
    body = []
    for i in range(services):
        cluster_ip = f"10.96.{i // 250}.{i % 250 + 1}"
        svc = f"service-{i}-default-svc-{i}-tcp-http"
        lines.append(f"    ip daddr {cluster_ip} tcp dport 80 goto {svc}")
        endpoints = [f"endpoint-{i}-{e}" for e in range(2)]
        body += [f"  chain {svc} {{", f"    ip daddr {cluster_ip} tcp dport 80 ip saddr != 10.244.0.0/16 meta mark set meta mark | 0x4000",
                 f"    numgen random mod 2 vmap {{ 0 : goto {endpoints[0]}, 1 : goto {endpoints[1]} }}", "  }"]
        for e, chain in enumerate(endpoints):
            addr = f"10.244.{(i * 2 + e) // 250}.{(i * 2 + e) % 250 + 2}"
            body += [f"  chain {chain} {{", f"    ip saddr {addr} meta mark set meta mark | 0x4000", f"    meta l4proto tcp dnat to {addr}:80", "  }"]
    lines.append("  }")
    lines += body
    lines.append("}")
    return "\n".join(lines) + "\n"


def nested(depth, jumps):
    lines = ["table inet nested {"]
    for level in range(depth + 1):
        lines.append(f"  chain c{level} {{")
        if level == 0:
            lines.append("    type filter hook input priority 0; policy accept;")
        if level < depth:
            lines += [f"    jump c{level + 1}"] * jumps
        else:
            lines.append("    udp dport 5060 drop")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "kube-proxy"
    args = [int(a) for a in sys.argv[2:]]
    if kind == "kube-proxy":
        sys.stdout.write(kube_proxy(*(args or [500])))
    elif kind == "kube-proxy-nft":
        sys.stdout.write(kube_proxy_nft(*(args or [570])))
    elif kind == "nested":
        sys.stdout.write(nested(*(args or [14, 4])))
    else:
        sys.exit(f"unknown kind {kind}: kube-proxy or nested")
