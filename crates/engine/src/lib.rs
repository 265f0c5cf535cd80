//! The telephony engine: tokio drivers around the SIP, media, IVR and ACD cores
