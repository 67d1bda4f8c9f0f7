"""The embedded development stack: PostgreSQL, the tansu broker, every service and the gateway
as child processes on loopback."""
