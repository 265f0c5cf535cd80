//! CRM service: opens a service request for every call record; gRPC CTI server and HTTP API
