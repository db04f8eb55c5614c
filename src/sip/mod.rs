//! SIP over UDP as phones and PBXs speak it for Plug-and-Play: a tolerant parser, the PnP meaning of a
//! message (phone identity, provisioning URL), and builders for what mcready sends.
