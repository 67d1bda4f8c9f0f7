"""Tickets' entrypoints: gRPC servicers, server main (with the auto-close timer), identity
directory consumer, demo catalogue."""
