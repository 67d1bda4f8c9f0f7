"""Shared plumbing for every service: settings, logging, gRPC server and client, database,
outbox relay and idempotent consumer. Holds no domain types."""
