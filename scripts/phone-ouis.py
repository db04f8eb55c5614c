#!/usr/bin/env python3
"""Extracts the IP phone vendors' MA-L prefixes from the IEEE registry into
src/net/discovery/phone-ouis.csv.

Source: the IEEE MA-L registry (https://standards-oui.ieee.org/oui/oui.csv), as Debian's
`ieee-data` package ships it in /usr/share/ieee-data/oui.csv. Only organizations that make
IP desk phones, matched by the registry's organization name; Cisco, Avaya and Panasonic's
other divisions are left out on purpose: most of their prefixes are not phones.

Usage: scripts/phone-ouis.py [/usr/share/ieee-data/oui.csv] > src/net/discovery/phone-ouis.csv
"""
import csv
import sys

# (vendor label shown in reports, organization name as registered: exact match)
VENDORS = [
    ("Yealink", "XIAMEN YEALINK NETWORK TECHNOLOGY CO.,LTD"),
    ("Yealink", "YEALINK(XIAMEN) NETWORK TECHNOLOGY CO.,LTD."),
    ("Poly", "Polycom"),
    ("Snom", "snom technology GmbH"),
    ("Fanvil", "Fanvil Technology Co., Ltd."),
    ("Grandstream", "Grandstream Networks, Inc."),
    ("Grandstream", "Grandstream Networks Inc"),
    ("Gigaset", "Gigaset Communications GmbH"),
    ("Panasonic", "Panasonic Communications Co., Ltd."),
    ("Sangoma", "Digium"),
    ("Sangoma", "Sangoma Technologies"),
    ("Htek", "Hanlong Technology Co.,LTD"),
    ("Mitel", "Mitel Corporation"),
    ("Mitel", "Aastra Telecom"),
]


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/ieee-data/oui.csv"
    names = {name: label for label, name in VENDORS}
    rows = []
    with open(path, newline="", encoding="utf-8") as registry:
        for row in csv.DictReader(registry):
            if row["Registry"] == "MA-L" and row["Organization Name"].strip() in names:
                rows.append((row["Assignment"].upper(), names[row["Organization Name"].strip()], row["Organization Name"].strip()))
    print("# IP phone vendors' MA-L prefixes from the IEEE registry (oui.csv); made by scripts/phone-ouis.py")
    print("prefix,vendor,organization (the rest of the line, as registered)")
    for prefix, label, organization in sorted(rows, key=lambda r: (r[1], r[0])):
        print(f"{prefix},{label},{organization}")


if __name__ == "__main__":
    main()
