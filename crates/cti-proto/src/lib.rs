//! gRPC contracts of the CTI link between engine and CRM (generated)
