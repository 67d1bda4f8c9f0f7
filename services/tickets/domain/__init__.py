"""Tickets' domain: plain Python, no I/O."""
