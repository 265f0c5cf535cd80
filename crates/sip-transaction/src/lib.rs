//! Sans-IO SIP transactions, dialogs and digest authentication (RFC 3261 17, RFC 8760)
